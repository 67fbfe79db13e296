import { createServer, type Server } from 'node:http';

export interface ReceivedRequest {
  headers: Record<string, string | string[] | undefined>;
  body: string;
  status: number;
}

/**
 * A real HTTP receiver on loopback for webhook tests. `failFirst` answers 500 to that many
 * requests before answering 200, to exercise retries.
 */
export async function startWebhookReceiver(options: { failFirst?: number; status?: number } = {}) {
  const requests: ReceivedRequest[] = [];
  let failuresLeft = options.failFirst ?? 0;
  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      let status = options.status ?? 200;
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        status = 500;
      }
      requests.push({ headers: request.headers, body: Buffer.concat(chunks).toString('utf8'), status });
      response.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  return {
    url: `http://127.0.0.1:${port}/hooks/ecoute`,
    requests,
    /** Requests answered 2xx: the effects the receiver actually applied. */
    accepted: () => requests.filter((request) => request.status < 300),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Polls until `check` returns a value that is not undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
