/**
 * Counts the journey engine's instructions, which no noisy neighbour changes: replays the
 * engine inputs that `BENCH_RECORD=<file> BENCH_PARTS=a npx tsx bench/engine.ts` recorded (each
 * timed batch of part a: its customers' states and records), through the engine of this checkout
 * or of `BENCH_ENGINE=<dir>`, and once more with `--dry` (the same decoding, no engine). Run both
 * under `valgrind --tool=callgrind`, each with `BENCH_REPEAT=1` and `BENCH_REPEAT=5`: the engine's
 * instructions per record, once compiled, are ((engine, 5) − (engine, 1) − (dry, 5) + (dry, 1)) /
 * (4 × records): comparable between two engines where timings on this machine are not.
 * `--single-threaded` keeps V8's compiler and collector on the main thread, where their work is
 * counted the same way every run (runs of one engine within about 3 % of each other, against
 * about 4–6 % without it).
 *
 *   npx esbuild bench/engine-replay.ts --bundle --platform=node --format=esm --minify --outfile=/tmp/replay.mjs
 *   valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.out node --single-threaded /tmp/replay.mjs <file> [--dry]
 *
 * Not a speed figure: replayed batches are the same ones over and over, which ran about 2.5
 * times faster by the clock than as many new ones (part a).
 */
import { readFileSync } from 'node:fs';
import { applyRecordsToCustomer, compileJourneys, type SequencedRecord } from '../lambdas/core/engine.js';
import type { CustomerState } from '../schemas/customer-state.js';
import { Journey } from '../schemas/journey.js';

const [file, mode] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: engine-replay <recorded file> [--dry]');
// The first line holds the journeys part a published; every other, one batch.
const [first = '', ...batches] = readFileSync(file, 'utf8').split('\n');
const definitions = (JSON.parse(first) as { journeys: unknown[] }).journeys.map((journey) =>
  Journey.parse(journey),
);
const journeys = compileJourneys(definitions, [], {
  defaults: { purposes: { analytics: true, personalization: true, marketing: true }, channels: {} },
  purposes: new Set(['analytics', 'personalization', 'marketing']),
});
// `BENCH_REPEAT=<n>` replays the batches n times: the runs' difference with n = 1 leaves out
// start-up and the optimising compiler's own work.
const repeat = Number(process.env.BENCH_REPEAT ?? 1);
let events = 0;
let actions = 0;
for (const line of Array.from({ length: repeat }, () => batches).flat()) {
  if (line === '') continue;
  const { groups, before } = JSON.parse(line) as {
    groups: SequencedRecord[][];
    before: (CustomerState | null)[];
  };
  for (let g = 0; g < groups.length; g += 1) {
    const group = groups[g] as SequencedRecord[];
    events += group.length;
    if (mode === '--dry') continue;
    actions += applyRecordsToCustomer(before[g] ?? undefined, group, journeys).actions.length;
  }
}
console.log(`${events} records replayed${mode === '--dry' ? ' (dry)' : `, ${actions} actions`}`);
