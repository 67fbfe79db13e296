import { createHash } from 'node:crypto';

/**
 * The id of the action a journey fires for a customer because of one message. The same
 * inputs always give the same id, so a redelivered event can never mint a second action, and
 * receivers can use it as an idempotency key.
 */
export function actionIdFor(
  tenantId: string,
  customerId: string,
  journeyId: string,
  messageId: string,
): string {
  return createHash('sha256')
    .update(`${tenantId}\u0000${customerId}\u0000${journeyId}\u0000${messageId}`)
    .digest('hex')
    .slice(0, 32);
}

/** A short, non-reversible reference to a customer for logs, which never carry raw ids. */
export function customerRef(tenantId: string, customerId: string): string {
  return createHash('sha256').update(`${tenantId}#${customerId}`).digest('hex').slice(0, 12);
}
