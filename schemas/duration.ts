import * as z from 'zod';

const UNIT_SECONDS = { s: 1, m: 60, h: 3_600, d: 86_400, w: 604_800 } as const;

/** A duration as marketers write it: `30s`, `15m`, `2h`, `7d`, `2w`. */
export const Duration = z.string().regex(/^\d{1,6}[smhdw]$/, 'a duration like 30m, 2h or 7d');
export type Duration = z.infer<typeof Duration>;

export function durationSeconds(duration: Duration): number {
  const unit = duration.slice(-1) as keyof typeof UNIT_SECONDS;
  return Number(duration.slice(0, -1)) * UNIT_SECONDS[unit];
}
