import { describe, expect, it } from "vitest";
import { startSplitter, type MutableRange } from "../../src/jobs/split-range.js";
import type { JobStore } from "../../src/jobs/job-store.js";
import { wholeJob, type JobSpec } from "../../src/model/job.js";
import { createLogger } from "../../src/log.js";
import { MemoryStore } from "../helpers/memory-store.js";

// The splitter's guard: a cut behind what the engine has already taken would give those versions
// to two shards (a shard of a stopped scope makes no calls and lists as fast as the scout).

const names = (n: number) => Array.from({ length: n }, (_, i) => `o-${String(i).padStart(4, "0")}`);
const spec: JobSpec = { id: "job-12345678", origin: "rotation", units: [{ namespace: "ns", bucket: "b", scope: { kind: "prefix", prefix: "", allVersions: false }, key: { type: "bucket" } }], dryRun: false };

function range(taken: string | undefined): MutableRange & { ends: (string | undefined)[] } {
  let end: string | undefined;
  const ends: (string | undefined)[] = [];
  return { start: undefined, end: () => end, setEnd: (e) => (ends.push(e), (end = e)), took: () => undefined, taken: () => taken, ends };
}

async function split(taken: string | undefined): Promise<{ allocations: number; r: ReturnType<typeof range>; didSplit: boolean }> {
  let allocations = 0;
  // Only the allocation of the new shard's id matters here: a cut that is given up never gets there.
  const jobs = { update: async () => (allocations++, undefined) } as unknown as JobStore;
  const r = range(taken);
  const splitter = startSplitter({ store: new MemoryStore(names(30)), jobs, spec, work: wholeJob(spec), range: r, owner: "me", dispatch: async () => {}, log: createLogger("error", {}, () => {}), every: 10 });
  // The scout lists the 30 names at once (in memory); stop() would cut it short, so wait first.
  await new Promise((resolve) => setTimeout(resolve, 100));
  await splitter.stop();
  return { allocations, r, didSplit: splitter.split() };
}

describe("range splits", () => {
  it("cuts at the 11th name when the engine is behind it, and gives the cut up when the engine has taken that name or one past it", async () => {
    const behind = await split("o-0003");
    expect(behind.r.ends[0]).toBe("o-0010");
    expect(behind.allocations).toBe(1);

    for (const taken of ["o-0010", "o-0020"]) {
      const ahead = await split(taken);
      // Narrowed, seen to be behind the engine, restored: nothing allocated, nothing handed off.
      expect(ahead.r.ends).toEqual(["o-0010", undefined]);
      expect(ahead.r.end()).toBeUndefined();
      expect(ahead.allocations).toBe(0);
      expect(ahead.didSplit).toBe(false);
    }
  });
});
