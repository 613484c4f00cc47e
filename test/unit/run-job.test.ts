import { describe, expect, it } from "vitest";
import { runJob, type RunJobDeps } from "../../src/engine/run-job.js";
import { zeroCounts, type Job, type Unit } from "../../src/jobs/job.js";
import { createLogger } from "../../src/log.js";
import { MemoryStore } from "../helpers/memory-store.js";

const quiet = createLogger("error", {}, () => {});
const unit = (scope: Unit["scope"], key: Unit["key"] = { type: "bucket" }): Unit => ({ namespace: "ns", bucket: "b", scope, key });
const job = (units: Unit[], over: Partial<Job> = {}): Job => ({ id: "job-12345678", origin: "request", units, dryRun: false, cursor: { unit: 0, redo: [] }, totals: zeroCounts(), seq: 0, ...over });
const deps = (store: MemoryStore, over: Partial<RunJobDeps> = {}): RunJobDeps => ({
  store,
  materials: { target: undefined, source: undefined },
  concurrency: 4,
  stopAt: Date.now() + 60_000,
  hardStopAt: Date.now() + 60_000,
  log: quiet,
  collectReport: true,
  ...over,
});

const names = (n: number) => Array.from({ length: n }, (_, i) => `o-${String(i).padStart(4, "0")}`);

describe("runJob", () => {
  it("re-encrypts every latest object under a prefix across pages, with the key's details", async () => {
    const store = new MemoryStore(names(25));
    const run = await runJob(job([unit({ kind: "prefix", prefix: "o-", allVersions: false }, { type: "kms", kmsKeyId: "ocid1.key.oc1.iad.k" })]), deps(store));
    expect(run.cursor).toBeUndefined();
    expect(run.counts).toEqual({ matched: 25, reencrypted: 25, failed: 0, skipped: 0 });
    expect(store.calls.map((c) => c.object).sort()).toEqual(names(25));
    expect(store.calls.every((c) => c.details.kmsKeyId === "ocid1.key.oc1.iad.k" && c.versionId === undefined)).toBe(true);
    expect(run.report).toHaveLength(25);
  });

  it("re-encrypts every version, skipping delete markers", async () => {
    const store = new MemoryStore(names(3), 3);
    store.versions.push({ name: "o-0001", versionId: "dm", isDeleteMarker: true });
    const run = await runJob(job([unit({ kind: "prefix", prefix: "", allVersions: true })]), deps(store));
    expect(run.counts).toEqual({ matched: 9, reencrypted: 9, failed: 0, skipped: 1 });
    expect(new Set(store.calls.map((c) => `${c.object}@${c.versionId}`)).size).toBe(9);
    expect(store.calls.some((c) => c.versionId === "dm")).toBe(false);
  });

  it("records failures with hints and keeps going", async () => {
    const store = new MemoryStore(names(5));
    store.failOn.set("o-0002", { status: 404, code: "ObjectNotFound" });
    const run = await runJob(job([unit({ kind: "prefix", prefix: "", allVersions: false })]), deps(store));
    expect(run.counts).toEqual({ matched: 5, reencrypted: 4, failed: 1, skipped: 0 });
    expect(run.failures[0]).toMatchObject({ object: "o-0002", status: 404, code: "ObjectNotFound", opcRequestId: "opc-1" });
    expect(run.failures[0]?.hint).toMatch(/does not exist/);
  });

  it("never has more calls in flight than the concurrency", async () => {
    const store = new MemoryStore(names(40));
    store.delayMs = 5;
    let inFlight = 0;
    let peak = 0;
    const orig = store.reencryptObject.bind(store);
    store.reencryptObject = async (r) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      try {
        return await orig(r);
      } finally {
        inFlight--;
      }
    };
    await runJob(job([unit({ kind: "prefix", prefix: "", allVersions: false })]), deps(store, { concurrency: 3 }));
    expect(peak).toBe(3);
  });

  it("stops at the deadline and resumes exactly where it stopped, nothing skipped or repeated", async () => {
    const store = new MemoryStore(names(30), 2);
    store.delayMs = 2;
    const u = [unit({ kind: "prefix", prefix: "", allVersions: true })];
    let j = job(u);
    let rounds = 0;
    for (;;) {
      rounds++;
      let calls = 0;
      // A clock that runs out after 7 starts: the cut lands mid-page and mid-object.
      const now = () => (calls >= 7 ? 2 : 0);
      const counting = Object.create(store) as MemoryStore;
      counting.reencryptObject = async (r) => {
        calls++;
        return store.reencryptObject(r);
      };
      const run = await runJob(j, deps(counting, { now, stopAt: 1, hardStopAt: Number.MAX_SAFE_INTEGER, concurrency: 3 }));
      if (!run.cursor) break;
      j = { ...j, cursor: run.cursor };
      expect(rounds).toBeLessThan(20);
    }
    const seen = store.calls.map((c) => `${c.object}@${c.versionId}`);
    expect(seen).toHaveLength(60);
    expect(new Set(seen).size).toBe(60);
    expect(rounds).toBeGreaterThan(5);
  });

  it("hands calls still in flight at the hard stop back as redo, and redoes them first", async () => {
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
    // The listing finishes at once; o-0001 is still in flight when the hard stop (20 ms) comes.
    const u = [unit({ kind: "prefix", prefix: "", allVersions: false })];
    const start = Date.now();
    const run = await runJob(job(u), deps(store, { stopAt: start + 10_000, hardStopAt: start + 20, concurrency: 2 }));
    expect(run.cursor).toEqual({ unit: 0, after: { name: "o-0005" }, redo: [{ name: "o-0001" }] });
    expect(run.counts).toMatchObject({ matched: 5, reencrypted: 5 });
    release();
    await new Promise((r) => setTimeout(r, 5));
    const resumed = await runJob(job(u, { cursor: run.cursor as NonNullable<typeof run.cursor> }), deps(store));
    expect(resumed.cursor).toBeUndefined();
    expect(resumed.counts).toMatchObject({ matched: 1, reencrypted: 1 });
    expect(store.calls.map((c) => c.object).sort()).toEqual(["o-0000", "o-0001", "o-0001", "o-0002", "o-0003", "o-0004", "o-0005"]);
    expect(started).toBe(7);
  });

  it("dry-run lists and changes nothing, and reports a missing object target", async () => {
    const store = new MemoryStore(names(3));
    const run = await runJob(
      job([unit({ kind: "prefix", prefix: "", allVersions: false }), unit({ kind: "object", object: "missing" })], { dryRun: true }),
      deps(store),
    );
    expect(store.calls).toHaveLength(0);
    expect(run.objects.map((o) => o.object)).toEqual(names(3));
    expect(run.failures).toMatchObject([{ object: "missing", status: 404 }]);
  });
});
