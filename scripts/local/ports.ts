import net from 'node:net';

export class PortInUseError extends Error {
  override name = 'PortInUseError';
}

/**
 * Asks the OS for a port nobody listens on. The port is released before the emulator binds it,
 * so another process could take it in between; on a developer machine that race is negligible.
 */
export async function pickFreePort(): Promise<number> {
  const port = await tryListen(0);
  if (port === 'in-use') throw new Error('the OS found no free ephemeral port');
  return port;
}

/**
 * Fails with a message a developer can act on when `port` is taken. Listening on the wildcard
 * address, as both emulators do, collides with a listener on any local address (127.0.0.1, ::1,
 * 0.0.0.0), so one attempt covers them all.
 *
 * @param user what wanted the port, e.g. `DynamoDB Local`
 * @param hint how to choose another, e.g. `Set DYNAMO_PORT to choose another`
 */
export async function assertPortFree(port: number, user: string, hint: string): Promise<void> {
  if ((await tryListen(port)) === 'in-use') {
    throw new PortInUseError(`port ${port} (${user}) is already in use: ${hint}`);
  }
}

function tryListen(port: number): Promise<number | 'in-use'> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', (error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') resolve('in-use');
      else reject(error);
    });
    server.listen({ port }, () => {
      const address = server.address();
      const boundPort = typeof address === 'object' && address ? address.port : port;
      server.close(() => resolve(boundPort));
    });
  });
}
