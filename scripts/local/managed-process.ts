import { type ChildProcess, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import type { Readable } from 'node:stream';

export interface ProcessEnd {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** Set when the process could not be started at all, e.g. `ENOENT` when the command is not installed. */
  spawnError?: NodeJS.ErrnoException;
}

/** A child process that is stopped when asked, and killed when this process exits anyway. */
export interface ManagedProcess {
  readonly name: string;
  /** Resolves once the process has ended, however it ended; never rejects. */
  readonly ended: Promise<ProcessEnd>;
  hasEnded(): boolean;
  /** The last lines it wrote on stdout and stderr, to explain a failure. */
  recentOutput(): string;
  /** SIGTERM, then SIGKILL if it is still running after a grace period. */
  stop(): Promise<void>;
}

export interface ProcessSpec {
  name: string;
  command: string;
  args: string[];
  cwd?: string;
  log?: (line: string) => void;
}

const STOP_GRACE_MS = 3_000;
const RECENT_LINE_COUNT = 40;

const runningChildren = new Set<ChildProcess>();

export function startManagedProcess(spec: ProcessSpec): ManagedProcess {
  killChildrenWhenThisProcessEnds();
  // Not detached: the children stay in our process group, so a Ctrl-C in the terminal reaches them too.
  const child = spawn(spec.command, spec.args, { cwd: spec.cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  runningChildren.add(child);

  const recentLines: string[] = [];
  const record = (line: string) => {
    recentLines.push(line);
    if (recentLines.length > RECENT_LINE_COUNT) recentLines.shift();
    spec.log?.(`[${spec.name}] ${line}`);
  };
  forEachLine(child.stdout, record);
  forEachLine(child.stderr, record);

  let ended = false;
  const endPromise = new Promise<ProcessEnd>((resolve) => {
    child.on('error', (error: NodeJS.ErrnoException) => {
      // 'error' also reports a failed kill(); only a missing pid means the process never started.
      if (child.pid === undefined) resolve({ code: null, signal: null, spawnError: error });
    });
    child.once('exit', (code, signal) => resolve({ code, signal }));
  }).then((end) => {
    ended = true;
    runningChildren.delete(child);
    return end;
  });

  return {
    name: spec.name,
    ended: endPromise,
    hasEnded: () => ended,
    recentOutput: () => recentLines.join('\n'),
    async stop() {
      if (ended) return;
      child.kill('SIGTERM');
      const forceKill = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await endPromise;
      clearTimeout(forceKill);
    },
  };
}

function forEachLine(stream: Readable | null, onLine: (line: string) => void): void {
  if (stream) createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY }).on('line', onLine);
}

let exitHooksInstalled = false;

function killChildrenWhenThisProcessEnds(): void {
  if (exitHooksInstalled) return;
  exitHooksInstalled = true;
  // 'exit' handlers cannot wait, so SIGKILL; it loses nothing committed, even with a data directory,
  // because both emulators have already handed their writes to the OS.
  const killAll = () => {
    for (const child of runningChildren) child.kill('SIGKILL');
  };
  process.on('exit', killAll);
  // A fatal signal ends Node without running 'exit' handlers. Stand in for the default action
  // (kill the children, then die of the same signal) only when no one else handles the signal:
  // a caller with its own handler decides when to exit, and the 'exit' hook cleans up then.
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const onSignal = () => {
      if (process.listenerCount(signal) > 1) return;
      killAll();
      process.removeListener(signal, onSignal);
      process.kill(process.pid, signal);
    };
    process.on(signal, onSignal);
  }
}
