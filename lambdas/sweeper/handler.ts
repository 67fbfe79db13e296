import middy from '@middy/core';
import { logger } from '../adapters/logger.js';
import { sweepDueDeliveries } from './sweep-deliveries.js';

/** Sweeper: runs every minute (EventBridge schedule in AWS, an interval locally). */
export const handler = middy(async () => {
  const report = await sweepDueDeliveries(new Date());
  if (report.due > 0) logger.info('delivery sweep', { ...report });
  return report;
});
