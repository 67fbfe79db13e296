import { sha256 } from './digest.js';

const hashOf = (encoding: 'hex' | 'base64url', ...parts: string[]) => sha256(parts.join('\u0000'), encoding);

/**
 * The id of the action a journey step fires for a customer: one instance, one cause (an event's
 * message id, or a timer's id), one step — a walk takes each step at most once. The same inputs
 * always give the same id, so a redelivered record can never mint a second action, and
 * receivers can use it as an idempotency key.
 */
export function actionIdFor(
  tenantId: string,
  customerId: string,
  instanceId: string,
  causeId: string,
  stepId: string,
): string {
  return hashOf('hex', tenantId, customerId, instanceId, causeId, stepId).slice(0, 32);
}

/** A journey instance: one customer's entry into one journey, caused by one record. */
export function instanceIdFor(customerId: string, journeyId: string, entryMessageId: string): string {
  return `${journeyId}:${hashOf('base64url', customerId, journeyId, entryMessageId).slice(0, 16)}`;
}

/** A timer of an instance's step, set because of one record. */
export function timerIdFor(instanceId: string, stepId: string, causeId: string): string {
  return `t:${hashOf('base64url', instanceId, stepId, causeId).slice(0, 22)}`;
}

/** A short, non-reversible reference to a customer for logs, which never carry raw ids. */
export function customerRef(tenantId: string, customerId: string): string {
  return sha256(`${tenantId}#${customerId}`, 'hex').slice(0, 12);
}
