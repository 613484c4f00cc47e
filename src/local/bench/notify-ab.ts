import { performance } from "node:perf_hooks";
import { startEmulator } from "../emulator/index.js";
import { startLocalStack, type LocalStack } from "../local-stack.js";
import { GATEWAY, median, n } from "./setup.js";
import { ratio, type BenchRow } from "./table.js";

// Contract §13: a topic that hangs must not slow a job. The same request job (a caller waits for
// its answer) with REENCRYPT_NOTIFY_TOPIC on a topic whose every PublishMessage hangs for a minute,
// against notifications off; interleaved A/B runs, medians. Each run re-encrypts every version
// again (a no-op that succeeds), so both do the same calls.

// Bound by latency, not by this machine's CPU (which other work shares): 8 calls in flight at
// +50 ms each, 160 versions a second, so the runs measure waiting, which is what a hang adds.
const LATENCY_MS = 50;
const CONCURRENCY = 8;

export async function notifyHangAB(o: { versions: number; rounds: number; log: (s: string) => void }): Promise<BenchRow> {
  const em = await startEmulator({ seed: { namespace: "ops", buckets: [{ name: "b", objects: [{ prefix: "o/", count: o.versions, size: 0 }] }] } });
  const topic = em.notifications.createTopic({ name: "hanging" });
  em.faults.add({ operation: "PublishMessage", latencyMs: 60_000 });
  em.faults.setBaseLatency(LATENCY_MS);
  const trim = setInterval(() => (em.requests.length = 0), 1_000);
  trim.unref();
  const config = { REENCRYPT_CONCURRENCY: String(CONCURRENCY) };
  const stacks: LocalStack[] = [];
  try {
    const hanging = await startLocalStack({ emulator: em, config: { ...config, REENCRYPT_NOTIFY_TOPIC: topic.id } });
    stacks.push(hanging);
    const off = await startLocalStack({ emulator: em, config });
    stacks.push(off);
    const run = async (stack: LocalStack): Promise<number> => {
      const t = performance.now();
      const r = await stack.invoke({ targets: [{ bucket: "b" }] }, { gateway: GATEWAY, deadline: new Date(Date.now() + 300_000) });
      const s = (performance.now() - t) / 1000;
      if (r.data?.status !== "succeeded" || r.data?.counts?.reencrypted !== o.versions) throw new Error(`notify A/B run ended ${r.body.slice(0, 200)}`);
      return s;
    };
    const withHang: number[] = [];
    const without: number[] = [];
    for (let i = 0; i < o.rounds; i++) {
      o.log(`notifications A/B: round ${i + 1}/${o.rounds} (${n(o.versions)} versions, topic hanging / notifications off)`);
      if (i % 2 === 0) {
        withHang.push(await run(hanging));
        without.push(await run(off));
      } else {
        without.push(await run(off));
        withHang.push(await run(hanging));
      }
    }
    const a = median(withHang);
    const b = median(without);
    const paired = withHang.map((x, i) => x / (without[i] as number));
    o.log(`notifications A/B: hanging ${withHang.map((x) => x.toFixed(2)).join(", ")} s; off ${without.map((x) => x.toFixed(2)).join(", ")} s; paired ratios ${paired.map((x) => x.toFixed(3)).join(", ")}`);
    return {
      name: `request job, ${n(o.versions)} versions, +${LATENCY_MS} ms/call: topic hanging (median of ${o.rounds})`,
      value: `${a.toFixed(2)} s`,
      baseline: `${b.toFixed(2)} s: notifications off`,
      ratio: ratio(a, b),
    };
  } finally {
    clearInterval(trim);
    for (const s of stacks) await s.stop();
    await em.close();
  }
}
