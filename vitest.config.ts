import { defineConfig } from "vitest/config";
import { BaseSequencer, type TestSpecification } from "vitest/node";

// The files that take longest start first: on a clean clone vitest has no durations to order by
// (it falls back to file size), and a long file started last kept the run going with one worker.
const SLOW_FIRST = [
  "test/e2e/demo.test.ts",
  "test/e2e/shards.test.ts",
  "test/e2e/durable-jobs.test.ts",
  "test/fuzz/contract-fuzz.test.ts",
  "test/e2e/shards-64.test.ts",
  "test/e2e/cli-run.test.ts",
  "test/e2e/cli-oci-args.test.ts",
  "test/e2e/cli-control.test.ts",
];

class SlowFirst extends BaseSequencer {
  override async sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const rank = (f: TestSpecification): number => {
      const i = SLOW_FIRST.findIndex((s) => f.moduleId.endsWith(s));
      return i < 0 ? SLOW_FIRST.length : i;
    };
    return [...(await super.sort(files))].sort((a, b) => rank(a) - rank(b));
  }
}

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Most files wait on emulated latency, timers and child processes, not the CPU: on two cores
    // vitest's default (cores - 1 = one file at a time) left the machine half idle for 8 minutes.
    // Four since the suite's CPU fell (RSA 1024 session keys in the emulator): with three, the
    // machine was 1.5 of its 2 cores busy on average.
    maxWorkers: 4,
    // One module graph per worker, not per file: the suite was CPU-bound, and re-importing the
    // sources for each of 85 files cost 58 s of CPU (14 s shared). Files keep no global state
    // between them: each starts its own emulators and stacks and stops them.
    isolate: false,
    // The emulator deals resource principals RSA 1024 session keys in the suite (key-pairs.ts): the
    // containers sign every call with them, and at 2048 bits signing was their largest cost.
    env: { OCI_EMULATOR_SESSION_KEY_BITS: "1024" },
    sequence: { sequencer: SlowFirst },
    reporters: ["default", "./scripts/summary-reporter.mjs"],
  },
});
