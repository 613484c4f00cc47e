import { afterEach, describe, expect, it } from "vitest";
import type { RunningShard, ShardSnapshot } from "../../src/engine/run-shard.js";
import { startCheckpoints, type CheckpointDeps, type Checkpointer } from "../../src/jobs/checkpoint.js";
import { jobRecordName, shardRecordName, type ShardRecord } from "../../src/jobs/job-record.js";
import { createJobStore } from "../../src/jobs/job-store.js";
import { newJobRecord } from "../../src/jobs/new-records.js";
import { createLogger } from "../../src/log.js";
import type { Counts, JobSpec, UnitStop } from "../../src/model/job.js";
import type { RateLimiter } from "../../src/oci/rate-limiter.js";
import { MemoryStore } from "../helpers/memory-store.js";

// A checkpoint writes its shard's record conditional on the ETag of its own last write, without
// reading the record again: one request per checkpoint instead of two. Anyone else's write moves
// the ETag; the refused write then reads the record and finds the lease gone, and the run stops
// without overwriting what the other writer stored.

const JOB = "job-12345678";
const NAME = shardRecordName(JOB, 0);
const zero: Counts = { matched: 0, reencrypted: 0, failed: 0, skipped: 0 };
const record = (owner: string): ShardRecord => ({
  format: 2,
  jobId: JOB,
  id: 0,
  units: [0, 1],
  cursor: { unit: 0, redo: [] },
  state: "running",
  lease: { owner, until: Date.now() + 60_000 },
  counts: zero,
  invocations: 1,
  failures: [],
  reports: [],
  updatedAt: new Date().toISOString(),
});

let checkpoints: Checkpointer | undefined;
afterEach(async () => {
  await checkpoints?.stop();
  checkpoints = undefined;
});

const quietLimiter = { takeLowered: () => false, rate: () => undefined, adopt: () => undefined, setCeiling: () => undefined } as unknown as RateLimiter;
const silent = createLogger("error", {}, () => {});

/** An engine that only answers snapshots (its counts from `counts`) and notes what it is told. */
function fakeEngine(counts: () => Counts = () => zero): RunningShard & { aborted: boolean; adopted: UnitStop[] } {
  const e = {
    aborted: false,
    adopted: [] as UnitStop[],
    snapshot: (): ShardSnapshot => ({ cursor: { unit: 0, redo: [] }, counts: counts(), failures: [], workRequest: undefined, stops: [] }),
    abort: () => {
      e.aborted = true;
    },
    adoptStop: (stop: UnitStop) => {
      e.adopted.push(stop);
    },
    done: new Promise<never>(() => undefined),
  };
  return e;
}

/** Shard 0 of JOB, run by "me", checkpointing every 10 ms into `state`; `o` overrides any of it. */
function checkpointsOn(state: MemoryStore, engine: RunningShard, o: Partial<CheckpointDeps> = {}): Checkpointer {
  return startCheckpoints({
    jobs: createJobStore(state, { namespace: "ns", bucket: "state" }, silent),
    spec: { id: JOB } as JobSpec,
    work: { id: 0, units: [0, 1], cursor: { unit: 0, redo: [] } },
    owner: "me",
    intervalMs: 10,
    leaseMs: 60_000,
    engine,
    base: zero,
    limiter: quietLimiter,
    maxRps: undefined,
    openShards: 1,
    announced: undefined,
    shared: () => false,
    log: silent,
    ...o,
  });
}

const until = async (what: () => boolean, ms = 5_000): Promise<void> => {
  const end = Date.now() + ms;
  while (!what()) {
    if (Date.now() > end) throw new Error("timed out");
    await new Promise((r) => setTimeout(r, 5));
  }
};

describe("checkpoints", () => {
  it("write over their own last write without reading it again, and stop when someone else has written since", async () => {
    const state = new MemoryStore();
    await state.putObject("ns", "state", NAME, JSON.stringify(record("me")));
    const reads = { shard: 0 };
    const puts: string[] = [];
    const get = state.getObject.bind(state);
    state.getObject = async (ns, b, n) => {
      if (n === NAME) reads.shard++;
      return get(ns, b, n);
    };
    const put = state.putObject.bind(state);
    state.putObject = async (ns, b, n, body, o) => {
      const w = await put(ns, b, n, body, o);
      if (n === NAME) puts.push(w ? "written" : "refused");
      return w;
    };

    let reencrypted = 0;
    const engine = fakeEngine(() => ({ ...zero, matched: reencrypted, reencrypted }));
    checkpoints = checkpointsOn(state, engine);

    await until(() => {
      reencrypted++;
      return puts.length >= 6;
    });
    // The first checkpoint read the record (it had not written it yet); none since.
    expect(reads.shard).toBe(1);
    expect(puts.every((p) => p === "written")).toBe(true);
    const stored = JSON.parse((await get("ns", "state", NAME))?.body.toString("utf8") ?? "{}") as ShardRecord;
    expect(stored.counts.reencrypted).toBeGreaterThan(0);
    expect(stored.lease?.owner).toBe("me");

    // Another invocation takes the shard over.
    await put("ns", "state", NAME, JSON.stringify(record("other")));
    await until(() => engine.aborted);
    expect(puts).toContain("refused");
    expect(reads.shard).toBe(2);
    const after = JSON.parse((await get("ns", "state", NAME))?.body.toString("utf8") ?? "{}") as ShardRecord;
    expect(after.lease?.owner).toBe("other");
    expect(after.counts).toEqual(zero);
  });

  it("listen: a shard of a shared unit reads the job record between checkpoints and adopts another shard's stop of it, once per call in flight", async () => {
    const state = new MemoryStore();
    const unit = { namespace: "ns", bucket: "b", scope: { kind: "prefix" as const, prefix: "", allVersions: true }, key: { type: "bucket" as const } };
    const spec = { id: JOB, origin: "rotation", units: [unit, { ...unit, bucket: "c" }], dryRun: false } as unknown as JobSpec;
    const job = newJobRecord(spec, { layout: "per-unit", now: Date.now() });
    job.stoppedUnits = { "1": { status: 403, code: "NotAuthorizedOrNotFound", message: "no", hint: "grant it", n: 50, notAttempted: 0 } };
    await state.putObject("ns", "state", jobRecordName(JOB), JSON.stringify(job));
    let jobReads = 0;
    const get = state.getObject.bind(state);
    state.getObject = async (ns, b, n) => {
      if (n === jobRecordName(JOB)) jobReads++;
      return get(ns, b, n);
    };
    const engine = fakeEngine();
    let shared = false;
    checkpoints = checkpointsOn(state, engine, {
      spec,
      work: { id: 1, units: [1, 2], range: { start: "m" }, cursor: { unit: 1, redo: [] } },
      // No checkpoint during the test: only listen() reads.
      intervalMs: 60_000,
      leaseMs: 180_000,
      openShards: 2,
      shared: () => shared,
    });

    // A unit this shard runs alone has no one else to hear from.
    checkpoints.listen();
    await new Promise((r) => setTimeout(r, 50));
    expect(jobReads).toBe(0);

    shared = true;
    checkpoints.listen();
    checkpoints.listen();
    await until(() => engine.adopted.length > 0);
    await new Promise((r) => setTimeout(r, 50));
    expect(jobReads).toBe(1);
    expect(engine.adopted).toEqual([{ unit: 1, status: 403, code: "NotAuthorizedOrNotFound", message: "no", n: 50 }]);
  });

  it("shares REENCRYPT_MAX_RPS among at least the shards open at the claim for one lease, then among the live runners alone", async () => {
    const state = new MemoryStore();
    await state.putObject("ns", "state", NAME, JSON.stringify(record("me")));
    let clock = 1_000_000;
    const ceilings: number[] = [];
    const limiter = { ...quietLimiter, setCeiling: (c: number) => ceilings.push(c) } as unknown as RateLimiter;
    let live: number | "fail" = 1;
    checkpoints = checkpointsOn(state, fakeEngine(), {
      leaseMs: 30_000,
      limiter,
      maxRps: 100,
      runners: { heartbeat: async () => (live === "fail" ? Promise.reject(new Error("down")) : live), stop: async () => undefined },
      openShards: 4,
      now: () => clock,
    });
    // Within the lease: 4 shards held slots at the claim, only this one has registered yet.
    await until(() => ceilings.length >= 2);
    expect(ceilings.at(-1)).toBe(25);
    // A lease later the other three have finished: the registry's one live runner takes it all.
    clock += 30_000;
    const seen = ceilings.length;
    await until(() => ceilings.length >= seen + 2);
    expect(ceilings.at(-1)).toBe(100);
    live = 5;
    await until(() => ceilings.at(-1) === 20);
    // A registry that cannot count leaves the floor in place.
    live = "fail";
    await until(() => ceilings.at(-1) === 25);
  });

  it("a checkpoint that announces a stop of a shared unit hears the other shards' stops from the record it just wrote: one read of the job record, not two", async () => {
    const state = new MemoryStore();
    const unit = { namespace: "ns", bucket: "b", scope: { kind: "prefix" as const, prefix: "", allVersions: true }, key: { type: "bucket" as const } };
    const spec = { id: JOB, origin: "rotation", units: [unit, { ...unit, bucket: "c" }], dryRun: false } as unknown as JobSpec;
    await state.putObject("ns", "state", jobRecordName(JOB), JSON.stringify(newJobRecord(spec, { layout: "per-unit", now: Date.now() })));
    await state.putObject("ns", "state", shardRecordName(JOB, 1), JSON.stringify({ ...record("me"), id: 1, units: [1, 2], range: { start: "m" }, cursor: { unit: 1, redo: [] } }));
    const jobRecord = { reads: 0, writes: 0 };
    const get = state.getObject.bind(state);
    state.getObject = async (ns, b, n) => {
      if (n === jobRecordName(JOB)) jobRecord.reads++;
      return get(ns, b, n);
    };
    const put = state.putObject.bind(state);
    state.putObject = async (ns, b, n, body, o) => {
      if (n === jobRecordName(JOB)) jobRecord.writes++;
      return put(ns, b, n, body, o);
    };
    const stop = { unit: 1, status: 403, code: "NotAuthorizedOrNotFound", message: "no", hint: "grant it", n: 50, notAttempted: 3 };
    const engine = fakeEngine();
    engine.snapshot = () => ({ cursor: { unit: 1, redo: [] }, counts: zero, failures: [], workRequest: undefined, stops: [stop] });
    checkpoints = checkpointsOn(state, engine, {
      spec,
      work: { id: 1, units: [1, 2], range: { start: "m" }, cursor: { unit: 1, redo: [] } },
      intervalMs: 60_000,
      openShards: 2,
      shared: () => true,
    });
    checkpoints.soon();
    await checkpoints.stop();
    checkpoints = undefined;
    expect(jobRecord).toEqual({ reads: 1, writes: 1 });
    const stored = JSON.parse((await get("ns", "state", jobRecordName(JOB)))?.body.toString("utf8") ?? "{}") as { stoppedUnits?: Record<string, unknown> };
    expect(stored.stoppedUnits?.["1"]).toMatchObject({ status: 403, code: "NotAuthorizedOrNotFound", n: 50 });
  });
});
