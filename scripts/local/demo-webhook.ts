import type { IncomingMessage, ServerResponse } from 'node:http';
import { SIGNATURE_HEADER, verifyWebhookSignature } from '../../lambdas/core/webhook-signature.js';
import type { LocalRoute } from './http-gateway.js';
import { send } from './http-gateway.js';

export const DEMO_WEBHOOK_PATH = '/_demo/webhook';

export interface ReceivedDelivery {
  idempotencyKey: string;
  signatureValid: boolean;
  body: unknown;
  receivedAt: string;
}

/**
 * The demo tenant's webhook receiver, served by the local host: it checks each delivery's
 * signature, keeps the last deliveries (GET `/_demo/webhook` lists them) and prints one line per
 * action, so `npm start` shows actions arriving without any other program.
 */
export class DemoWebhookInbox {
  readonly deliveries: ReceivedDelivery[] = [];

  constructor(
    private readonly secret: string,
    private readonly print: (line: string) => void,
  ) {}

  route(): LocalRoute {
    return (request: IncomingMessage, body: Buffer, response: ServerResponse) => {
      const path = new URL(request.url ?? '/', 'http://localhost').pathname;
      if (path !== DEMO_WEBHOOK_PATH) return false;
      if (request.method === 'GET') {
        send(response, 200, { deliveries: this.deliveries });
        return true;
      }
      const text = body.toString('utf8');
      const signature = request.headers[SIGNATURE_HEADER];
      const delivery: ReceivedDelivery = {
        idempotencyKey: String(request.headers['idempotency-key'] ?? ''),
        signatureValid: verifyWebhookSignature(
          this.secret,
          text,
          Array.isArray(signature) ? signature[0] : signature,
          Math.floor(Date.now() / 1_000),
        ),
        body: JSON.parse(text),
        receivedAt: new Date().toISOString(),
      };
      this.deliveries.push(delivery);
      if (this.deliveries.length > 500) this.deliveries.shift();
      const action = delivery.body as { action?: string; journeyId?: string };
      this.print(
        `demo webhook ← action "${action.action}" from journey "${action.journeyId}" ` +
          `(Idempotency-Key ${delivery.idempotencyKey}, signature ${delivery.signatureValid ? 'valid' : 'INVALID'})`,
      );
      send(response, delivery.signatureValid ? 200 : 401, { received: delivery.signatureValid });
      return true;
    };
  }
}
