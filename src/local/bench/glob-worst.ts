import { performance } from "node:perf_hooks";
import { matchesBucketGlob } from "../../glob.js";
import { startEmulator } from "../emulator/index.js";
import { startLocalStack } from "../local-stack.js";
import { GATEWAY, median } from "./setup.js";
import { ratio, type BenchRow } from "./table.js";

// Issue 16 item 3: globs that made the old backtracking regex run for a minute. Each row is the
// worst case's median time against a bound it must stay far below; the bench prints, it does not
// fail (a timed test would be flaky on a loaded machine).

const HYPHENS = `${"-".repeat(250)}000000`;
const CASES: Array<{ glob: string; bucket: string; was: string }> = [
  { glob: "*-*-*-*-*-prod", bucket: HYPHENS, was: "58.5 s" },
  { glob: "*-*-*-*-prod", bucket: HYPHENS, was: "~250 ms" },
  { glob: "*a*a*a*a*b", bucket: "a".repeat(256), was: "49 s" },
];
/** Per match: at most |glob| × |name| steps (14 × 256 here); a thousand targets stay within 50 ms. */
const MATCH_BOUND_US = 50;
/** Per invocation: the refusal as a whole, FDK socket included. */
const INVOKE_BOUND_MS = 100;
const us = (x: number): string => `${x.toFixed(2)} µs`;

function matchTime(glob: string, bucket: string): number {
  const rounds: number[] = [];
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    for (let i = 0; i < 1000; i++) matchesBucketGlob(glob, "ns", bucket);
    rounds.push(((performance.now() - t) * 1000) / 1000);
  }
  return median(rounds);
}

export async function globWorstCases(o: { bundlePath: string; log: (s: string) => void }): Promise<BenchRow[]> {
  o.log("glob worst cases (issue 16): matcher, then a gateway request and a createobject event through the function");
  const rows: BenchRow[] = CASES.map((c) => {
    const t = matchTime(c.glob, c.bucket);
    return { name: `glob ${c.glob} vs ${c.bucket.length}-char ${c.bucket[0]}… name (was ${c.was})`, value: us(t), baseline: `${us(MATCH_BOUND_US)}: bound per match`, ratio: ratio(t, MATCH_BOUND_US) };
  });

  const emulator = await startEmulator({ seed: { namespace: "bench", buckets: [{ name: "data" }] } });
  const allowList = await startLocalStack({ emulator, bundlePath: o.bundlePath, maxContainers: 1, config: { REENCRYPT_ALLOWED_BUCKETS: "data,*-*-*-*-*-prod" } });
  const rules = await startLocalStack({ emulator, bundlePath: o.bundlePath, maxContainers: 1, config: { REENCRYPT_RULES: JSON.stringify([{ bucket: "*-*-*-*-prod", kmsKeyId: "ocid1.key.oc1..bench" }]) } });
  try {
    const time = async (stack: typeof rules, body: unknown, gateway: boolean, want: number): Promise<number> => {
      const xs: number[] = [];
      for (let i = 0; i < 7; i++) {
        const t = performance.now();
        const r = await stack.invoke(body, gateway ? { gateway: GATEWAY } : {});
        xs.push(performance.now() - t);
        if (r.httpStatus !== want) throw new Error(`glob bench: expected ${want}, got ${r.httpStatus} ${r.body.slice(0, 200)}`);
      }
      return median(xs);
    };
    const refused = await time(allowList, { targets: [{ bucket: HYPHENS, object: "x" }] }, true, 403);
    const plain = await time(allowList, { targets: [{ bucket: "other", object: "x" }] }, true, 403);
    const event = {
      cloudEventsVersion: "0.1",
      eventID: "bench",
      eventType: "com.oraclecloud.objectstorage.createobject",
      source: "objectstorage",
      eventTime: new Date().toISOString(),
      data: { resourceName: "x", additionalDetails: { namespace: "bench", bucketName: HYPHENS } },
    };
    const skipped = await time(rules, event, false, 200);
    rows.push(
      { name: `gateway request naming the ${HYPHENS.length}-char bucket, allow-list *-*-*-*-*-prod (median of 7)`, value: `${refused.toFixed(1)} ms`, baseline: `${INVOKE_BOUND_MS} ms bound (a plain refusal: ${plain.toFixed(1)} ms)`, ratio: ratio(refused, INVOKE_BOUND_MS) },
      { name: `createobject event in that bucket, rule *-*-*-*-prod (median of 7)`, value: `${skipped.toFixed(1)} ms`, baseline: `${INVOKE_BOUND_MS} ms bound`, ratio: ratio(skipped, INVOKE_BOUND_MS) },
    );
  } finally {
    await allowList.stop();
    await rules.stop();
    await emulator.close();
  }
  return rows;
}
