import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    pool: "forks",
    // Most files wait on emulated latency, timers and child processes, not the CPU: on two cores
    // vitest's default (cores - 1 = one file at a time) left the machine half idle for 8 minutes.
    maxWorkers: 3,
    // One module graph per worker, not per file: the suite was CPU-bound, and re-importing the
    // sources for each of 85 files cost 58 s of CPU (14 s shared). Files keep no global state
    // between them: each starts its own emulators and stacks and stops them.
    isolate: false,
    // The emulator deals resource principals RSA 1024 session keys in the suite (key-pairs.ts): the
    // containers sign every call with them, and at 2048 bits signing was their largest cost.
    env: { OCI_EMULATOR_SESSION_KEY_BITS: "1024" },
    reporters: ["default", "./scripts/summary-reporter.mjs"],
  },
});
