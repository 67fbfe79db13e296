import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';

/**
 * Runs a conditional write and gives back what it answered, or undefined when its condition did
 * not hold: someone else got there first (another dispatcher's attempt, a second replay), which
 * the callers take as an answer, not as an error. Any other failure is thrown.
 */
export async function unlessConditionFails<T>(write: () => Promise<T>): Promise<T | undefined> {
  try {
    return await write();
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) return undefined;
    throw error;
  }
}
