/**
 * The first slice of a customer's records to apply and write together: all of them when their
 * outcome fits in one write, else the first half, quarter… (each halving runs the engine again on
 * fewer records), down to a single record, whose outcome is returned even if it does not fit (the
 * write then refuses it). The caller applies the rest in further slices.
 *
 * @example
 * const { take, outcome } = firstSliceThatFits(records.length,
 *   (take) => applyRecordsToCustomer(state, records.slice(0, take), journeys), fitsInOneWrite);
 */
export function firstSliceThatFits<Outcome>(
  recordCount: number,
  outcomeOf: (take: number) => Outcome,
  fits: (outcome: Outcome) => boolean,
): { take: number; outcome: Outcome } {
  let take = recordCount;
  let outcome = outcomeOf(take);
  while (!fits(outcome) && take > 1) {
    take = Math.ceil(take / 2);
    outcome = outcomeOf(take);
  }
  return { take, outcome };
}
