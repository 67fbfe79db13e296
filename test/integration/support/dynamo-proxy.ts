import { createServer, request as httpRequest, type IncomingMessage, type Server } from 'node:http';

/** A request the proxy holds back until the test releases it. */
export interface HeldRequest {
  /** Resolves once a matching request arrived and is being held (the writer has loaded and decided). */
  reached: Promise<void>;
  /** Lets the held request go on to DynamoDB Local. */
  release(): void;
}

/** What went through the proxy: the operation and its JSON body. */
export interface ProxiedRequest {
  operation: string;
  body: string;
}

interface Hold {
  matches: (operation: string, body: string) => boolean;
  arrived: () => void;
  released: Promise<void>;
  /** Answer with a non-retryable error instead of forwarding: the caller dies there. */
  fail?: boolean;
}

/**
 * A pass-through HTTP proxy in front of DynamoDB Local that can hold one chosen request back:
 * how a test puts another writer between a function's read and its conditional write, over
 * the wire and without touching the SDK. It also records every request, so a test can count
 * reads and writes. Point `AWS_ENDPOINT_URL_DYNAMODB` at `endpoint`.
 */
export async function startDynamoProxy(target: string) {
  const upstream = new URL(target);
  const holds: Hold[] = [];
  const requests: ProxiedRequest[] = [];

  const server: Server = createServer((incoming, outgoing) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('end', async () => {
      const body = Buffer.concat(chunks);
      // The JSON protocol names the operation in a header: `DynamoDB_20120810.TransactWriteItems`.
      const operation = String(incoming.headers['x-amz-target'] ?? '').split('.')[1] ?? '';
      requests.push({ operation, body: body.toString('utf8') });
      const index = holds.findIndex((hold) => hold.matches(operation, body.toString('utf8')));
      const hold = index >= 0 ? holds.splice(index, 1)[0] : undefined;
      if (hold !== undefined) {
        hold.arrived();
        await hold.released;
        if (hold.fail) {
          // A validation error: the SDK does not retry it, so the write fails as a crash would.
          outgoing.writeHead(400, { 'content-type': 'application/x-amz-json-1.0' });
          outgoing.end(
            JSON.stringify({
              __type: 'com.amazon.coral.validate#ValidationException',
              message: 'failed by the test proxy',
            }),
          );
          return;
        }
      }
      const forwarded = httpRequest(
        {
          host: upstream.hostname,
          port: upstream.port,
          method: incoming.method,
          path: incoming.url,
          headers: { ...incoming.headers, host: upstream.host },
        },
        (answer: IncomingMessage) => {
          outgoing.writeHead(answer.statusCode ?? 502, answer.headers);
          answer.pipe(outgoing);
        },
      );
      forwarded.on('error', (error) => outgoing.destroy(error));
      forwarded.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    /** Every request so far, in arrival order. */
    requests,
    /** Holds the next request for `operation` whose JSON body contains every one of `fragments`. */
    holdNext(operation: string, ...fragments: string[]): HeldRequest {
      let arrived = () => {};
      let release = () => {};
      const reached = new Promise<void>((resolve) => {
        arrived = resolve;
      });
      const released = new Promise<void>((resolve) => {
        release = resolve;
      });
      holds.push({
        matches: (op, body) => op === operation && fragments.every((fragment) => body.includes(fragment)),
        arrived,
        released,
      });
      return { reached, release };
    },
    /**
     * Fails the next request for `operation` whose body contains every one of `fragments`, as if
     * the writer crashed there: the request never reaches DynamoDB Local.
     */
    failNext(operation: string, ...fragments: string[]): { happened: () => boolean; cancel: () => void } {
      let happened = false;
      const hold: Hold = {
        matches: (op, body) => op === operation && fragments.every((fragment) => body.includes(fragment)),
        arrived: () => {
          happened = true;
        },
        released: Promise.resolve(),
        fail: true,
      };
      holds.push(hold);
      return {
        happened: () => happened,
        // A failure that found no matching request is taken back, so it cannot hit a later test.
        cancel: () => {
          const index = holds.indexOf(hold);
          if (index >= 0) holds.splice(index, 1);
        },
      };
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
