import { type ChildProcessWithoutNullStreams, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { eventually } from '../integration/support/webhook-receiver.js';

/** `npm start` as a newcomer runs it, minus npm: the same script, its own emulators on free ports. */
function startCommand(env: Record<string, string>): {
  child: ChildProcessWithoutNullStreams;
  output: () => string;
} {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start-local.ts'], {
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '',
      DYNAMO_PORT: '0',
      KINESIS_PORT: '0',
      ECOUTE_DATA_DIR: mkdtempSync(path.join(tmpdir(), 'ecoute-start-')),
      ...env,
    },
  });
  let output = '';
  child.stdout.on('data', (chunk) => {
    output += chunk;
  });
  child.stderr.on('data', (chunk) => {
    output += chunk;
  });
  return { child, output: () => output };
}

const exited = (child: ChildProcessWithoutNullStreams) =>
  new Promise<number | null>((resolve) => {
    if (child.exitCode !== null) resolve(child.exitCode);
    else child.once('exit', (code) => resolve(code));
  });

function childPids(pid: number): number[] {
  try {
    return execFileSync('ps', ['-o', 'pid=', '--ppid', String(pid)], { encoding: 'utf8' })
      .split('\n')
      .map((line) => Number(line.trim()))
      .filter((n) => n > 0);
  } catch {
    return [];
  }
}

const isAlive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('npm start', () => {
  it('says when it accepts traffic, turns a curl-style event into a demo webhook action, and stops every child on Ctrl-C', async () => {
    const writeKey = 'wk_fixed_for_scripts';
    const { child, output } = startCommand({ PORT: '0', ECOUTE_DEMO_WRITE_KEY: writeKey });
    try {
      const url = await eventually(() => /ready on (http:\/\/[\d.:]+)/.exec(output())?.[1], 45_000);
      expect(output()).toContain(`write key ${writeKey}`);

      const response = await fetch(`${url}/v1/track`, {
        method: 'POST',
        headers: { authorization: `Basic ${Buffer.from(`${writeKey}:`).toString('base64')}` },
        body: JSON.stringify({
          userId: 'demo-customer',
          event: 'Product Viewed',
          properties: { category: 'shoes' },
        }),
      });
      expect(response.status).toBe(200);
      await eventually(() =>
        output().includes('demo webhook ← action "reserve-in-store"') ? true : undefined,
      );
      expect(output()).toContain('signature valid');

      const emulators = childPids(child.pid ?? 0);
      expect(emulators.length).toBeGreaterThanOrEqual(2);
      child.kill('SIGINT');
      expect(await exited(child)).toBe(0);
      await eventually(() => (emulators.every((pid) => !isAlive(pid)) ? true : undefined), 10_000);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });

  it('refuses to start on a busy port with a message that says what to do', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address !== null ? address.port : 0;
    try {
      const { child, output } = startCommand({ PORT: String(port) });
      expect(await exited(child)).toBe(1);
      expect(output()).toContain(`port ${port}`);
      expect(output()).toContain('already in use');
      expect(output()).toContain('PORT');
    } finally {
      blocker.close();
    }
  });
});
