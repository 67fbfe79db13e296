import { type ConsentDefaults, consentChannelOf } from '../../schemas/consent.js';
import type { CustomerState } from '../../schemas/customer-state.js';
import { actionSortKey, customerPartition, listActions } from '../adapters/customer-store.js';
import { recordCancelled } from '../adapters/outbox-store.js';
import { consentAllows } from '../core/consent/consent-allows.js';
import { DEFAULT_ACTION_PURPOSE } from '../core/consent/withdrawal.js';

/**
 * After a consent withdrawal is written: cancels the customer's actions that are not delivered
 * yet (pending, or waiting for a retry) and that the new consent refuses. Safe to repeat. If the
 * processor stops between the state write and this, the dispatcher's own check before sending
 * refuses them all the same.
 */
export async function cancelWithdrawnActions(
  state: CustomerState,
  defaults: ConsentDefaults,
  now: Date,
): Promise<number> {
  const partition = customerPartition(state.tenantId, state.customerId);
  let cancelled = 0;
  for (const action of await listActions(state.tenantId, state.customerId, Number.POSITIVE_INFINITY)) {
    const { status } = action.delivery;
    if (status !== 'pending' && status !== 'retrying') continue;
    const use = {
      purpose: action.purpose ?? DEFAULT_ACTION_PURPOSE,
      channel: consentChannelOf(action.channel),
    };
    if (consentAllows(state.consent, defaults, use, now.getTime()).allowed) continue;
    const key = { pk: partition, sk: actionSortKey(action) };
    if (await recordCancelled(key, 'withdrawn', now, { statuses: ['pending', 'retrying'] })) cancelled += 1;
  }
  return cancelled;
}
