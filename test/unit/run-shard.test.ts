import { describe, expect, it } from "vitest";
import { runShard, startShard, type RunShardDeps } from "../../src/engine/run-shard.js";
import { createReportWriter } from "../../src/engine/report-writer.js";
import { wholeJob, type JobSpec, type ShardWork, type Unit } from "../../src/model/job.js";
import { createLogger } from "../../src/log.js";
import { OciCallError } from "../../src/oci/oci-failure.js";
import { MemoryStore } from "../helpers/memory-store.js";

const quiet = createLogger("error", {}, () => {});
const unit = (scope: Unit["scope"], key: Unit["key"] = { type: "bucket" }, bucket = "b"): Unit => ({ namespace: "ns", bucket, scope, key });
const spec = (units: Unit[], over: Partial<JobSpec> = {}): JobSpec => ({ id: "job-12345678", origin: "request", units, dryRun: false, ...over });
const deps = (store: MemoryStore, over: Partial<RunShardDeps> = {}): RunShardDeps => ({
  store,
  materials: { target: undefined, source: undefined },
  concurrency: 4,
  stopAt: Date.now() + 60_000,
  hardStopAt: Date.now() + 60_000,
  log: quiet,
  ...over,
});
const names = (n: number) => Array.from({ length: n }, (_, i) => `o-${String(i).padStart(4, "0")}`);
const peakOf = (store: MemoryStore) => {
  let inFlight = 0;
  const box = { peak: 0 };
  const orig = store.reencryptObject.bind(store);
  store.reencryptObject = async (r) => {
    inFlight++;
    box.peak = Math.max(box.peak, inFlight);
    try {
      return await orig(r);
    } finally {
      inFlight--;
    }
  };
  return box;
};

describe("runShard", () => {
  it("re-encrypts every latest object under a prefix across pages, with the key's details", async () => {
    const store = new MemoryStore(names(25));
    const s = spec([unit({ kind: "prefix", prefix: "o-", allVersions: false }, { type: "kms", kmsKeyId: "ocid1.key.oc1.iad.k" })]);
    const run = await runShard(s, wholeJob(s), deps(store, { pageSize: 7 }));
    expect(run.cursor).toBeUndefined();
    expect(run.stopped).toBe("done");
    expect(run.counts).toEqual({ matched: 25, reencrypted: 25, failed: 0, skipped: 0 });
    expect(store.calls.map((c) => c.object).sort()).toEqual(names(25));
    expect(store.calls.every((c) => c.details.kmsKeyId === "ocid1.key.oc1.iad.k" && c.versionId === undefined)).toBe(true);
  });

  it("re-encrypts every version, skipping delete markers", async () => {
    const store = new MemoryStore(names(3), 3);
    store.versions.push({ name: "o-0001", versionId: "dm", isDeleteMarker: true });
    const s = spec([unit({ kind: "prefix", prefix: "", allVersions: true })]);
    const run = await runShard(s, wholeJob(s), deps(store));
    expect(run.counts).toEqual({ matched: 9, reencrypted: 9, failed: 0, skipped: 1 });
    expect(new Set(store.calls.map((c) => `${c.object}@${c.versionId}`)).size).toBe(9);
    expect(store.calls.some((c) => c.versionId === "dm")).toBe(false);
  });

  it("records failures with hints and keeps going", async () => {
    const store = new MemoryStore(names(5));
    store.failOn.set("o-0002", { status: 404, code: "ObjectNotFound" });
    const s = spec([unit({ kind: "prefix", prefix: "", allVersions: false })]);
    const run = await runShard(s, wholeJob(s), deps(store));
    expect(run.counts).toEqual({ matched: 5, reencrypted: 4, failed: 1, skipped: 0 });
    expect(run.failures[0]).toMatchObject({ object: "o-0002", status: 404, code: "ObjectNotFound", opcRequestId: "opc-1" });
    expect(run.failures[0]?.hint).toMatch(/does not exist/);
  });

  it("gives a version that failed transiently after its retries a second chance at the shard's end; a 404 gets none", async () => {
    const store = new MemoryStore(names(10));
    const tries = new Map<string, number>();
    const orig = store.reencryptObject.bind(store);
    store.reencryptObject = async (r) => {
      const n = (tries.get(r.object) ?? 0) + 1;
      tries.set(r.object, n);
      if (r.object === "o-0003" && n === 1) throw new OciCallError({ status: 503, code: "ServiceUnavailable", message: "busy", opcRequestId: undefined }, "ReencryptObject");
      if (r.object === "o-0005") throw new OciCallError({ status: 404, code: "ObjectNotFound", message: "gone", opcRequestId: undefined }, "ReencryptObject");
      if (r.object === "o-0007") throw new OciCallError({ status: 429, code: "TooManyRequests", message: "slow down", opcRequestId: undefined }, "ReencryptObject");
      return orig(r);
    };
    const s = spec([unit({ kind: "prefix", prefix: "", allVersions: false })]);
    const run = await runShard(s, wholeJob(s), deps(store));
    expect(run.counts).toEqual({ matched: 10, reencrypted: 8, failed: 2, skipped: 0 });
    expect(tries.get("o-0003")).toBe(2);
    expect(tries.get("o-0005")).toBe(1);
    expect(tries.get("o-0007")).toBe(2);
    expect(run.failures.map((f) => f.object).sort()).toEqual(["o-0005", "o-0007"]);
  });

  it("keeps the whole pool busy across many single-object units, never above the concurrency", async () => {
    const store = new MemoryStore(names(40));
    store.delayMs = 5;
    const box = peakOf(store);
    const s = spec(names(40).map((n) => unit({ kind: "object", object: n })));
    const run = await runShard(s, wholeJob(s), deps(store, { concurrency: 8 }));
    expect(run.counts.reencrypted).toBe(40);
    expect(box.peak).toBe(8);
  });

  it("lists the next unit while the previous unit's calls are in flight", async () => {
    const store = new MemoryStore(["a1", "a2", "a3", "a4", "b1", "c1"]);
    store.delayMs = 20;
    const box = peakOf(store);
    // A prefix unit of four objects and two object units: one pool of 6 takes all six at once.
    const s = spec([unit({ kind: "prefix", prefix: "a", allVersions: false }), unit({ kind: "object", object: "b1" }), unit({ kind: "object", object: "c1" })]);
    const run = await runShard(s, wholeJob(s), deps(store, { concurrency: 6 }));
    expect(run.counts.reencrypted).toBe(6);
    expect(box.peak).toBe(6);
  });

  it("stops at the deadline and resumes exactly where it stopped, across units, nothing skipped or repeated", async () => {
    const store = new MemoryStore(names(30), 2);
    store.delayMs = 2;
    const s = spec([unit({ kind: "prefix", prefix: "o-00", allVersions: true }), unit({ kind: "object", object: "o-0001" }), unit({ kind: "prefix", prefix: "o-001", allVersions: false })]);
    let work: ShardWork = wholeJob(s);
    let rounds = 0;
    for (;;) {
      rounds++;
      let calls = 0;
      // A clock that runs out after 7 starts: the cut lands mid-page, mid-object and mid-unit.
      const now = () => (calls >= 7 ? 2 : 0);
      const counting = Object.create(store) as MemoryStore;
      counting.reencryptObject = async (r) => {
        calls++;
        return store.reencryptObject(r);
      };
      const run = await runShard(s, work, deps(counting, { now, stopAt: 1, hardStopAt: Number.MAX_SAFE_INTEGER, concurrency: 3, pageSize: 4 }));
      if (!run.cursor) break;
      work = { ...work, cursor: run.cursor };
      expect(rounds).toBeLessThan(40);
    }
    const seen = store.calls.map((c) => `${c.object}@${c.versionId}`);
    // 60 versions, plus o-0001's latest once more (its own unit), plus the 10 latest of o-001*.
    expect(seen).toHaveLength(60 + 1 + 10);
    expect(new Set(seen.slice(0, 60)).size).toBe(60);
    expect(rounds).toBeGreaterThan(5);
  });

  it("hands calls still in flight at the hard stop back as redo, with their unit, and redoes them first", async () => {
    const store = new MemoryStore(names(6));
    let release: () => void = () => {};
    const gate = new Promise<void>((r) => (release = r));
    const orig = store.reencryptObject.bind(store);
    let started = 0;
    store.reencryptObject = async (r) => {
      started++;
      if (r.object === "o-0001") await gate; // this call outlives the invocation
      return orig(r);
    };
    const s = spec([unit({ kind: "prefix", prefix: "", allVersions: false })]);
    const start = Date.now();
    const run = await runShard(s, wholeJob(s), deps(store, { stopAt: start + 10_000, hardStopAt: start + 20, concurrency: 2 }));
    expect(run.cursor).toEqual({ unit: 1, redo: [{ unit: 0, name: "o-0001" }] });
    expect(run.counts).toMatchObject({ matched: 5, reencrypted: 5 });
    release();
    await new Promise((r) => setTimeout(r, 5));
    const resumed = await runShard(s, { ...wholeJob(s), cursor: run.cursor as NonNullable<typeof run.cursor> }, deps(store));
    expect(resumed.cursor).toBeUndefined();
    expect(resumed.counts).toMatchObject({ matched: 1, reencrypted: 1 });
    expect(store.calls.map((c) => c.object).sort()).toEqual(["o-0000", "o-0001", "o-0001", "o-0002", "o-0003", "o-0004", "o-0005"]);
    expect(started).toBe(7);
  });

  it("takes snapshots that are consistent at any instant: settled counts plus the calls in flight as redo", async () => {
    const store = new MemoryStore(names(50));
    store.delayMs = 3;
    const s = spec([unit({ kind: "prefix", prefix: "", allVersions: false })]);
    const running = startShard(s, wholeJob(s), deps(store, { concurrency: 5, pageSize: 10 }));
    const snaps = [];
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setTimeout(r, 4));
      snaps.push(running.snapshot());
    }
    await running.done;
    for (const snap of snaps) {
      if (!snap.cursor) continue;
      const after = snap.cursor.after?.name;
      const started = snap.cursor.unit > 0 ? 50 : after === undefined ? 0 : names(50).indexOf(after) + 1;
      // Every started version is either settled (counted) or in redo: resuming from here loses none.
      expect(snap.counts.matched + snap.cursor.redo.length).toBe(started);
    }
  });

  it("stops listing at the range's end, even when the end moves closer while it runs", async () => {
    const store = new MemoryStore(names(100));
    store.delayMs = 1;
    const s = spec([unit({ kind: "prefix", prefix: "", allVersions: true })]);
    let end: string | undefined = "o-0090";
    const running = startShard(s, { ...wholeJob(s), range: { start: "o-0010" } }, deps(store, { concurrency: 2, pageSize: 5, range: { start: "o-0010", end: () => end } }));
    await new Promise((r) => setTimeout(r, 5));
    end = "o-0050";
    const run = await running.done;
    const done = store.calls.map((c) => c.object);
    expect(run.stopped).toBe("done");
    expect(done[0]).toBe("o-0010");
    expect(done.every((n) => n >= "o-0010" && n < "o-0050")).toBe(true);
    expect(new Set(done).size).toBe(40);
  });

  it("abort stops starting calls and answers aborted with an exact cursor", async () => {
    const store = new MemoryStore(names(200));
    store.delayMs = 2;
    const s = spec([unit({ kind: "prefix", prefix: "", allVersions: false })]);
    const running = startShard(s, wholeJob(s), deps(store, { concurrency: 4 }));
    await new Promise((r) => setTimeout(r, 15));
    running.abort();
    const run = await running.done;
    expect(run.stopped).toBe("aborted");
    expect(store.calls.length).toBeLessThan(200);
    const after = run.cursor?.after?.name as string;
    expect(store.calls.length + (run.cursor?.redo.length ?? 0)).toBeGreaterThanOrEqual(names(200).indexOf(after) + 1);
  });

  it("uses ReencryptBucket and polls its work request for a bucket-method unit", async () => {
    const store = new MemoryStore(names(3));
    const s = spec([{ ...unit({ kind: "prefix", prefix: "", allVersions: true }), method: "bucket" }]);
    const polls: number[] = [];
    const get = store.getWorkRequest.bind(store);
    store.getWorkRequest = async (id) => {
      const w = await get(id);
      polls.push(w.percentComplete);
      store.workRequests.set(id, { ...w, status: polls.length >= 3 ? "COMPLETED" : "IN_PROGRESS", percentComplete: Math.min(100, polls.length * 40) });
      return w;
    };
    const run = await runShard(s, wholeJob(s), deps(store, { pollMs: 1 }));
    expect(store.calls).toHaveLength(0);
    expect(store.workRequests.size).toBe(1);
    expect(run.stopped).toBe("done");
    expect(run.failures).toEqual([]);
  });

  it("hands a running work request over in its cursor at the deadline", async () => {
    const store = new MemoryStore(names(3));
    const s = spec([{ ...unit({ kind: "prefix", prefix: "", allVersions: true }), method: "bucket" }]);
    const t0 = Date.now();
    const run = await runShard(s, wholeJob(s), deps(store, { pollMs: 50, stopAt: t0 + 30, hardStopAt: t0 + 40 }));
    expect(run.cursor?.workRequestId).toMatch(/^wr-b-/);
    store.workRequests.set(run.cursor?.workRequestId as string, { id: "x", status: "COMPLETED", percentComplete: 100 });
    const resumed = await runShard(s, { ...wholeJob(s), cursor: run.cursor as NonNullable<typeof run.cursor> }, deps(store, { pollMs: 1 }));
    expect(resumed.stopped).toBe("done");
    expect(store.workRequests.size).toBe(1);
  });

  it("dry-run lists and changes nothing, and reports a missing object target", async () => {
    const store = new MemoryStore(names(3));
    const s = spec([unit({ kind: "prefix", prefix: "", allVersions: false }), unit({ kind: "object", object: "missing" })], { dryRun: true });
    const run = await runShard(s, wholeJob(s), deps(store));
    expect(store.calls).toHaveLength(0);
    expect(run.objects.map((o) => o.object)).toEqual(names(3));
    expect(run.failures).toMatchObject([{ object: "missing", status: 404 }]);
    expect(run.counts).toEqual({ matched: 3, reencrypted: 0, failed: 1, skipped: 0 });
  });

  it("writes report lines in bounded parts as they are produced", async () => {
    const store = new MemoryStore(names(300));
    const s = spec([unit({ kind: "prefix", prefix: "", allVersions: false })]);
    const report = createReportWriter({ store, namespace: "ns", bucket: "state", partName: (n) => `reports/x.${n}.jsonl`, log: quiet, partBytes: 4096 });
    await runShard(s, wholeJob(s), deps(store, { report }));
    const parts = await report.close();
    expect(parts.length).toBeGreaterThan(5);
    const lines = [...store.objects.entries()].filter(([k]) => k.startsWith("reports/")).flatMap(([, v]) => v.body.toString().trim().split("\n"));
    expect(lines).toHaveLength(300);
    expect(new Set(lines.map((l) => JSON.parse(l).object)).size).toBe(300);
    for (const [, v] of store.objects) expect(v.body.length).toBeLessThanOrEqual(4096);
  });
});

describe("runShard: scopes that stop failing fast (contract §11)", () => {
  it("stops calling in a unit after N identical non-retryable failures, counts the rest failed without a call, and lets other units go on", async () => {
    const store = new MemoryStore([...names(50).map((n) => `bad/${n}`), ...names(10).map((n) => `good/${n}`)]);
    const bad = new Set(names(50).map((n) => `bad/${n}`));
    const orig = store.reencryptObject.bind(store);
    let badCalls = 0;
    store.reencryptObject = async (r) => {
      if (bad.has(r.object)) {
        badCalls++;
        throw new OciCallError({ status: 403, code: "NotAuthorizedOrNotFound", message: "no", opcRequestId: undefined }, "ReencryptObject");
      }
      return orig(r);
    };
    const s = spec([unit({ kind: "prefix", prefix: "bad/", allVersions: false }), unit({ kind: "prefix", prefix: "good/", allVersions: false })]);
    const run = await runShard(s, wholeJob(s), deps(store, { stopAfterIdentical: 5, concurrency: 2 }));
    expect(badCalls).toBeLessThanOrEqual(5 + 2);
    expect(run.counts).toEqual({ matched: 60, reencrypted: 10, failed: 50, skipped: 0 });
    expect(run.stops).toHaveLength(1);
    expect(run.stops[0]).toMatchObject({ unit: 0, status: 403, code: "NotAuthorizedOrNotFound", n: 5, notAttempted: 50 - badCalls });
    expect(run.stops[0]?.hint).toMatch(/last 5 calls .* stopped calling/);
    expect(store.calls.filter((c) => c.object.startsWith("good/"))).toHaveLength(10);
  });

  it("a success ends a streak, a transient failure neither ends nor extends it; 0 never stops", async () => {
    const store = new MemoryStore(names(20));
    let i = 0;
    store.reencryptObject = async () => {
      i++;
      // 403, 403, 503, 403, ok, 403, 403, 403, ...: the streak restarts after the success.
      const pattern = i === 3 ? 503 : i === 5 ? 200 : 403;
      if (pattern === 200) return { opcRequestId: "x" };
      throw new OciCallError({ status: pattern, code: pattern === 503 ? "ServiceUnavailable" : "Forbidden", message: "", opcRequestId: undefined }, "ReencryptObject");
    };
    const s = spec([unit({ kind: "prefix", prefix: "", allVersions: false })]);
    const run = await runShard(s, wholeJob(s), deps(store, { stopAfterIdentical: 4, concurrency: 1 }));
    // Stopped at the 9th call; the 11 versions listed after it, and the 503 kept for a second chance, are not attempted.
    expect(run.stops[0]).toMatchObject({ n: 4, notAttempted: 20 - 9 + 1 });
    expect(i).toBe(9);
    const never = await runShard(s, wholeJob(s), deps(new MemoryStore(names(20)), { stopAfterIdentical: 0 }));
    expect(never.stops).toEqual([]);
  });

  it("asks for other shards' stops every eighth of the limit of a streak, and adopting one stops its calls at once", async () => {
    const store = new MemoryStore(names(100));
    let calls = 0;
    store.reencryptObject = async () => {
      calls++;
      throw new OciCallError({ status: 403, code: "NotAuthorizedOrNotFound", message: "no", opcRequestId: undefined }, "ReencryptObject");
    };
    const s = spec([unit({ kind: "prefix", prefix: "", allVersions: false })]);
    const asked: number[] = [];
    let running: ReturnType<typeof startShard> | undefined;
    // Another shard of the unit stopped it: heard at the second question (after 2 × 40 / 8 = 10 failures).
    const onUnitStreak = (u: number): void => {
      asked.push(calls);
      if (asked.length === 2) running?.adoptStop({ unit: u, status: 403, code: "NotAuthorizedOrNotFound", message: "no", n: 40 });
    };
    running = startShard(s, wholeJob(s), deps(store, { stopAfterIdentical: 40, concurrency: 1, onUnitStreak }));
    const run = await running.done;
    expect(asked).toEqual([5, 10]);
    expect(calls).toBe(10);
    expect(run.counts).toMatchObject({ failed: 100, reencrypted: 0 });
    expect(run.stops[0]).toMatchObject({ unit: 0, n: 40, notAttempted: 90 });
  });

  it("carries streaks and stops in the cursor, so a resumed run goes on counting and stays stopped", async () => {
    const store = new MemoryStore(names(30));
    store.reencryptObject = async () => {
      throw new OciCallError({ status: 404, code: "BucketNotFound", message: "gone", opcRequestId: undefined }, "ReencryptObject");
    };
    const s = spec([unit({ kind: "prefix", prefix: "", allVersions: false })]);
    const first = await runShard(s, wholeJob(s), deps(store, { stopAfterIdentical: 3, concurrency: 1, stopAt: 0 }));
    const work: ShardWork = { ...wholeJob(s), cursor: { unit: 0, redo: [], streaks: [{ unit: 0, status: 404, code: "BucketNotFound", n: 2 }] } };
    expect(first.stopped).toBe("deadline");
    const resumed = await runShard(s, work, deps(store, { stopAfterIdentical: 3, concurrency: 1 }));
    expect(resumed.stops[0]).toMatchObject({ n: 3, notAttempted: 29 });
    const stopped: ShardWork = { ...wholeJob(s), cursor: { unit: 0, redo: [], stopped: [{ unit: 0, status: 404, code: "BucketNotFound", message: "gone", n: 3 }] } };
    let calls = 0;
    store.reencryptObject = async () => {
      calls++;
      return { opcRequestId: "x" };
    };
    const again = await runShard(s, stopped, deps(store, { stopAfterIdentical: 3 }));
    expect(calls).toBe(0);
    expect(again.counts).toMatchObject({ failed: 30, reencrypted: 0 });
  });
});

describe("runShard: listings that fail transiently stay resumable", () => {
  it("leaves the unit in the cursor instead of closing it, and fails it once both bounds are passed", async () => {
    const store = new MemoryStore(names(5));
    store.listObjects = async () => {
      throw new OciCallError({ status: 503, code: "ServiceUnavailable", message: "down", opcRequestId: undefined }, "ListObjects");
    };
    const s = spec([unit({ kind: "prefix", prefix: "", allVersions: false })]);
    let t = 1_000_000;
    const now = () => t;
    const first = await runShard(s, wholeJob(s), deps(store, { now, listingGiveUp: { attempts: 2, afterMs: 60_000 } }));
    expect(first.stopped).toBe("listing");
    expect(first.counts.failed).toBe(0);
    expect(first.cursor).toMatchObject({ unit: 0, listingFailure: { unit: 0, attempts: 1, since: 1_000_000 } });
    t += 120_000;
    const second = await runShard(s, { ...wholeJob(s), cursor: first.cursor as ShardWork["cursor"] }, deps(store, { now, listingGiveUp: { attempts: 2, afterMs: 60_000 } }));
    expect(second.stopped).toBe("done");
    expect(second.counts.failed).toBe(1);
    expect(second.failures[0]?.message).toMatch(/kept failing for 2 min over 2 attempts/);
  });

  it("fails the unit at once on a permanent answer (404 BucketNotFound)", async () => {
    const store = new MemoryStore(names(5));
    store.listObjects = async () => {
      throw new OciCallError({ status: 404, code: "BucketNotFound", message: "no bucket", opcRequestId: undefined }, "ListObjects");
    };
    const s = spec([unit({ kind: "prefix", prefix: "", allVersions: false })]);
    const run = await runShard(s, wholeJob(s), deps(store));
    expect(run.stopped).toBe("done");
    expect(run.failures[0]).toMatchObject({ code: "BucketNotFound", hint: expect.stringMatching(/bucket does not exist/) });
  });
});

describe("runShard: what a unit's key governs", () => {
  it("lists only the unit's ranges, and leaves alone (skipped) what the rules now give another key", async () => {
    const store = new MemoryStore(["a/1", "a/2", "pii/1", "pii/2", "z/1"]);
    const starts: (string | undefined)[] = [];
    const orig = store.listObjects.bind(store);
    store.listObjects = async (ns, b, o) => {
      starts.push(`${o.start ?? ""}..${o.end ?? ""}`);
      return orig(ns, b, o);
    };
    const u: Unit = { ...unit({ kind: "prefix", prefix: "", allVersions: false, ranges: [{ end: "pii/" }, { start: "pii0" }] }), bucketKey: null };
    const s = spec([u]);
    const run = await runShard(s, wholeJob(s), deps(store, { governs: (_u, name) => name !== "z/1" }));
    expect(starts).toEqual(["..pii/", "pii0.."]);
    expect(store.calls.map((c) => c.object).sort()).toEqual(["a/1", "a/2"]);
    expect(run.counts).toEqual({ matched: 2, reencrypted: 2, failed: 0, skipped: 1 });
  });

  it("fails a blocked unit (a read-only bucket) without calling anything", async () => {
    const store = new MemoryStore(names(3));
    const s = spec([{ ...unit({ kind: "prefix", prefix: "", allVersions: true }), blocked: { status: 409, code: "BucketReadOnly", message: "replica" } }]);
    const run = await runShard(s, wholeJob(s), deps(store));
    expect(store.listCalls).toBe(0);
    expect(store.calls).toEqual([]);
    expect(run.counts).toEqual({ matched: 0, reencrypted: 0, failed: 1, skipped: 0 });
    expect(run.failures[0]).toMatchObject({ code: "BucketReadOnly", hint: expect.stringMatching(/Re-encrypt the source bucket/) });
  });
});
