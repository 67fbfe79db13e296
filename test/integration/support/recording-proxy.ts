import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';

/** One exchange that went through the proxy, as the client and the server saw it. */
export interface RecordedExchange {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** What the server answered, before any replacement. */
  status: number;
  body: string;
}

/**
 * A pass-through HTTP proxy in front of the local stack: real clients (the Segment and
 * RudderStack libraries) send to it as to Écoute, and a test reads what they sent and what they
 * got. `loseFirstResponses` replaces that many answers by a 503 *after* the server handled the
 * request: the request's effects happened, the client believes it failed and retries, as when a
 * response is lost on the way back.
 */
export async function startRecordingProxy(target: string, options: { loseFirstResponses?: number } = {}) {
  const upstream = new URL(target);
  const exchanges: RecordedExchange[] = [];
  let toLose = options.loseFirstResponses ?? 0;

  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', () => {
      const forwarded = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: upstream.host },
        },
        (answer) => {
          const answerChunks: Buffer[] = [];
          answer.on('data', (chunk: Buffer) => answerChunks.push(chunk));
          answer.on('end', () => {
            const body = Buffer.concat(answerChunks).toString('utf8');
            exchanges.push({
              method: incoming.method ?? 'GET',
              path: incoming.url ?? '/',
              headers: incoming.headers,
              status: answer.statusCode ?? 502,
              body,
            });
            if (toLose > 0) {
              toLose -= 1;
              outgoing.writeHead(503, { 'content-type': 'application/json' }).end('{"code":"lost"}');
              return;
            }
            outgoing.writeHead(answer.statusCode ?? 502, answer.headers).end(body);
          });
        },
      );
      forwarded.on('error', (error) => outgoing.destroy(error));
      forwarded.end(Buffer.concat(chunks));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    url: `http://127.0.0.1:${port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
