import { performance } from "node:perf_hooks";
import { startEmulator } from "../emulator/index.js";
import { startLocalStack } from "../local-stack.js";
import { ratio, type BenchRow } from "./table.js";

// Key precedence (contract §11) at scale: a whole-bucket pass over a bucket where 90 % of the
// names lie in a scope a rule gives to another key lists only the rest (start/end ranges), so
// its listing calls follow the versions it re-encrypts, not the size of the bucket.

const n = (x: number): string => Math.round(x).toLocaleString("en-US");
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
};

interface Run {
  seconds: number;
  listings: number;
  reencrypted: number;
}

export async function precedenceRows(o: { versions: number; ruledShare: number; rounds: number; log: (s: string) => void }): Promise<BenchRow[]> {
  const ruled = Math.round(o.versions * o.ruledShare);
  const objects = (prefix: string, count: number, kmsKey?: string) => ({ prefix, count, size: 0, ...(kmsKey ? { kmsKey } : {}) });
  const em = await startEmulator({
    seed: {
      namespace: "prec",
      compartments: ["bench"],
      vaults: [{ name: "v", compartment: "bench", keys: [{ name: "K1" }, { name: "K2" }] }],
      buckets: [
        { name: "ruled", compartment: "bench", kmsKey: "K1", objects: [objects("pii/", ruled, "K2"), objects("pub/", o.versions - ruled)] },
        { name: "plain", compartment: "bench", kmsKey: "K1", objects: [objects("pii/", ruled), objects("pub/", o.versions - ruled)] },
        { name: "state", compartment: "bench" },
      ],
    },
  });
  const rules = JSON.stringify([{ bucket: "ruled", prefix: "pii/", kmsKeyId: em.seedIds.keys["K2"] }]);
  const stack = await startLocalStack({
    emulator: em,
    compartmentId: em.seedIds.compartments["bench"] as string,
    maxContainers: 1,
    config: { REENCRYPT_RULES: rules, REENCRYPT_STATE_BUCKET: "state", REENCRYPT_CONCURRENCY: "32" },
  });
  const run = async (bucket: string): Promise<Run> => {
    em.requests.length = 0;
    const t0 = performance.now();
    let r = await stack.invoke({ targets: [{ bucket }] }, { deadline: new Date(Date.now() + 600_000) });
    while (r.data?.status === "incomplete") r = await stack.invoke({ resume: r.data.resume }, { deadline: new Date(Date.now() + 600_000) });
    const seconds = (performance.now() - t0) / 1000;
    if (r.data?.status !== "succeeded") throw new Error(`precedence run on ${bucket} ended ${r.body.slice(0, 200)}`);
    const listings = em.requests.filter((q) => q.operation === "ListObjects" && q.path.includes(`/b/${bucket}/`)).length;
    return { seconds, listings, reencrypted: Number(r.data.counts.reencrypted) };
  };
  const a: Run[] = [];
  const b: Run[] = [];
  try {
    for (let i = 0; i < o.rounds; i++) {
      o.log(`key precedence: round ${i + 1}/${o.rounds} (${n(o.versions)} versions, ${Math.round(o.ruledShare * 100)} % ruled to another key)`);
      if (i % 2 === 0) {
        a.push(await run("ruled"));
        b.push(await run("plain"));
      } else {
        b.push(await run("plain"));
        a.push(await run("ruled"));
      }
    }
  } finally {
    await stack.stop();
    await em.close();
  }
  const la = median(a.map((x) => x.listings));
  const lb = median(b.map((x) => x.listings));
  const sa = median(a.map((x) => x.seconds));
  const sb = median(b.map((x) => x.seconds));
  const share = `${Math.round(o.ruledShare * 100)} %`;
  const perThousand = (x: Run[]): string => (median(x.map((r) => (r.listings * 1000) / Math.max(1, r.reencrypted)))).toFixed(2);
  return [
    {
      name: `key precedence: listing calls, ${n(o.versions)}-version bucket, ${share} ruled to another key (median of ${o.rounds})`,
      value: `${n(la)} calls (${perThousand(a)} per 1,000 re-encrypted)`,
      baseline: `${n(lb)} calls (${perThousand(b)} per 1,000): same bucket, no rule`,
      ratio: ratio(la, lb),
    },
    {
      name: `key precedence: wall time of that whole-bucket request (median of ${o.rounds})`,
      value: `${sa.toFixed(1)} s (${n(a[0]?.reencrypted ?? 0)} re-encrypted)`,
      baseline: `${sb.toFixed(1)} s (${n(b[0]?.reencrypted ?? 0)} re-encrypted): no rule`,
      ratio: ratio(sa, sb),
    },
  ];
}
