import { readFileSync } from "node:fs";
import { startEmulator } from "../emulator/index.js";
import { startLocalStack } from "../local-stack.js";
import { GATEWAY, median, n } from "./setup.js";
import { ratio, type BenchRow } from "./table.js";

// Issue 8's per-container rows: peak memory as the versions of one invocation grow, with the
// report on and off, and 200 single-object targets against the same objects as one bucket target.

const peakRss = (pid: number): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? 0) * 1024;
const mib = (bytes: number): string => `${(bytes / 1024 / 1024).toFixed(0)} MiB`;

/** Peak RSS of one container re-encrypting `versions` object versions in one invocation. */
async function peakFor(versions: number, report: boolean): Promise<number> {
  const em = await startEmulator({ seed: { namespace: "mem", buckets: [{ name: "b", objects: [{ prefix: "o/", count: versions, size: 0 }] }, { name: "state" }] } });
  const trim = setInterval(() => (em.requests.length = 0), 1_000);
  const stack = await startLocalStack({ emulator: em, config: { REENCRYPT_CONCURRENCY: "32", ...(report ? { REENCRYPT_STATE_BUCKET: "state" } : {}) } });
  try {
    const r = await stack.invoke({ targets: [{ bucket: "b" }] }, { gateway: GATEWAY, deadline: new Date(Date.now() + 600_000) });
    if (r.data?.status !== "succeeded" || r.data.counts?.reencrypted !== versions) throw new Error(`memory run of ${versions} ended ${r.body.slice(0, 200)}`);
    return peakRss(stack.containers()[0]?.pid as number);
  } finally {
    clearInterval(trim);
    await stack.stop();
    await em.close();
  }
}

export async function memoryRows(o: { sizes: number[]; log: (s: string) => void }): Promise<BenchRow[]> {
  const rows: BenchRow[] = [];
  for (const versions of o.sizes) {
    o.log(`peak RSS: ${n(versions)} versions, report on, then off`);
    const on = await peakFor(versions, true);
    const off = await peakFor(versions, false);
    rows.push({ name: `peak RSS, ${n(versions)} versions in one invocation, report on`, value: mib(on), baseline: `${mib(off)}: report off`, ratio: ratio(on, off) });
  }
  return rows;
}

/** 200 single-object targets against the same 200 objects as one bucket target, every call +20 ms. */
export async function objectTargetsRow(o: { rounds: number; log: (s: string) => void }): Promise<BenchRow> {
  const em = await startEmulator({ seed: { namespace: "tgt", buckets: [{ name: "b", objects: [{ prefix: "o/", count: 200 }] }] } });
  const stack = await startLocalStack({ emulator: em });
  em.faults.setBaseLatency(20);
  const targets = Array.from({ length: 200 }, (_, i) => ({ bucket: "b", object: `o/${String(i).padStart(6, "0")}` }));
  const time = async (body: unknown): Promise<number> => {
    const t0 = performance.now();
    const r = await stack.invoke(body, { gateway: GATEWAY });
    if (r.data?.counts?.reencrypted !== 200) throw new Error(`object-target run ended ${r.body.slice(0, 200)}`);
    return performance.now() - t0;
  };
  const each: number[] = [];
  const whole: number[] = [];
  try {
    for (let i = 0; i < o.rounds; i++) {
      o.log(`200 object targets vs one bucket target: round ${i + 1}/${o.rounds}`);
      each.push(await time({ targets }));
      whole.push(await time({ targets: [{ bucket: "b" }] }));
    }
  } finally {
    await stack.stop();
    await em.close();
  }
  const a = median(each);
  const b = median(whole);
  return { name: "200 single-object targets, +20 ms/request", value: `${(a / 1000).toFixed(2)} s`, baseline: `${(b / 1000).toFixed(2)} s: the same objects as one bucket target`, ratio: ratio(a, b) };
}
