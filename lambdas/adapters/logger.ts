import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The one structured JSON logger. Callers log tenant ids, counts and `customerRef` hashes,
 * never customer ids, emails, phones or traits.
 */
export const logger = new Logger({ serviceName: 'ecoute' });
