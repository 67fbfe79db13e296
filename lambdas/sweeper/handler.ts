import middy from '@middy/core';
import { logger } from '../adapters/logger.js';
import { sweepDueDeliveries } from './sweep-deliveries.js';
import { sweepDueTimers } from './sweep-timers.js';

/**
 * Sweeper: runs every minute (EventBridge schedule in AWS, an interval locally). Fires the
 * journey timers that are due and retries the deliveries that are due. The two sweeps are
 * independent: one failing does not stop the other; the run then fails with the errors of the
 * sweeps that failed, after the other one has finished.
 */
export const handler = middy(async () => {
  const now = new Date();
  const [deliveries, timers] = await Promise.allSettled([sweepDueDeliveries(now), sweepDueTimers(now)]);
  if (deliveries.status === 'fulfilled' && deliveries.value.due > 0) {
    logger.info('delivery sweep', { ...deliveries.value });
  }
  if (timers.status === 'fulfilled' && timers.value.fired + timers.value.quarantined > 0) {
    logger.info('timer sweep', { ...timers.value });
  }
  if (deliveries.status === 'rejected' || timers.status === 'rejected') {
    const errors = [deliveries, timers].flatMap((sweep) =>
      sweep.status === 'rejected' ? [sweep.reason] : [],
    );
    throw new AggregateError(errors, 'sweep failed');
  }
  return { deliveries: deliveries.value, timers: timers.value };
});
