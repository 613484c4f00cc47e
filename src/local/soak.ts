// `npm run soak`: a rotation over 100,000 object versions through parallel shards while the
// emulator answers 10 % of ReencryptObject calls with 429 or 503, resets 1 % of all connections
// and adds latency spikes. Every version must end on the new key version and be accounted for in
// the job's record; the figures (duration, retries, duplicates) are printed.

import { parseArgs } from "node:util";
import { rotationWorld, runRotation } from "./bench/rotation-run.js";

const { values } = parseArgs({
  options: {
    versions: { type: "string", default: "100000" },
    buckets: { type: "string", default: "4" },
    parallel: { type: "string", default: "4" },
    seed: { type: "string", default: "7" },
    help: { type: "boolean", default: false },
  },
});
if (values.help) {
  process.stdout.write(
    "npm run soak -- [--versions 100000] [--buckets 4] [--parallel 4] [--seed 7]\n" +
      "  A fault-injected rotation through parallel shards; exits 1 unless every version moved and the record accounts for each.\n",
  );
  process.exit(0);
}
const versions = Number(values.versions);
const buckets = Number(values.buckets);
const n = (x: number): string => Math.round(x).toLocaleString("en-US");

async function main(): Promise<number> {
  const world = await rotationWorld({
    buckets,
    versionsPerBucket: Math.ceil(versions / buckets),
    objectBytes: 0,
    detachedTimeoutSeconds: 120,
    config: { REENCRYPT_MAX_PARALLEL: values.parallel, REENCRYPT_CHECKPOINT_SECONDS: "5", REENCRYPT_CONCURRENCY: "16" },
  });
  const { em } = world;
  em.faults.setSeed(Number(values.seed));
  const throttled = em.faults.add({ operation: "ReencryptObject", probability: 0.05, status: 429, code: "TooManyRequests" });
  const unavailable = em.faults.add({ operation: "ReencryptObject", probability: 0.05, status: 503, code: "ServiceUnavailable" });
  const resets = em.faults.add({ probability: 0.01, reset: true });
  const spikes = em.faults.add({ probability: 0.02, latencyMs: 400 });
  process.stderr.write(`soak: ${n(versions)} versions in ${buckets} buckets, ${values.parallel} shards at once; 5 % 429, 5 % 503, 1 % resets, 2 % +400 ms\n`);

  const out = await runRotation(world, { pollMs: 2_000 });
  const rss = process.memoryUsage().rss;
  await world.close();

  const rows: [string, string][] = [
    ["job status", out.status],
    ["duration", `${(out.wallMs / 1000).toFixed(1)} s (${n((out.versions * 1000) / out.wallMs)} versions/s)`],
    ["versions", n(out.versions)],
    ["re-encrypted (record)", n(out.reencrypted)],
    ["failed (record)", n(out.failed)],
    ["left on the old key version (ground truth)", n(out.leftBehind)],
    ["duplicate re-encryptions (ground truth)", n(out.duplicates)],
    ["injected: 429 / 503 / resets / spikes", `${n(throttled.hits)} / ${n(unavailable.hits)} / ${n(resets.hits)} / ${n(spikes.hits)}`],
    ["shards / invocations / sweeps", `${out.shards} / ${out.invocations} / ${out.sweeps}`],
    ["emulator + test process peak RSS", `${Math.round(rss / 1024 / 1024)} MiB`],
  ];
  const w = Math.max(...rows.map(([k]) => k.length));
  for (const [k, v] of rows) process.stdout.write(`${k.padEnd(w)}  ${v}\n`);
  const ok = out.status === "succeeded" && out.leftBehind === 0 && out.reencrypted + out.failed === out.versions && out.failed === 0;
  process.stdout.write(ok ? "soak: every version moved and accounted for\n" : "soak: FAILED: versions lost or unaccounted for\n");
  return ok ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`soak: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
