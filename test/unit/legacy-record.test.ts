import { describe, expect, it } from "vitest";
import { createJobStore } from "../../src/jobs/job-store.js";
import { createLogger } from "../../src/log.js";
import { MemoryStore } from "../helpers/memory-store.js";

// A format-1 job record (every shard inside jobs/<id>.json, releases before issue 21) found in the
// state bucket: read as format 2, and converted at the first write: its shard records first, then
// the job record, conditional on the version read. A writer of the old format racing the
// conversion makes it read again (after a backoff), never convert from a stale version.

const zero = { matched: 0, reencrypted: 0, failed: 0, skipped: 0 };
const v1 = (reencrypted: number) => ({
  format: 1,
  jobId: "job-12345678",
  origin: "rotation",
  status: "running",
  spec: { origin: "rotation", units: [0, 1].map((i) => ({ namespace: "ns", bucket: `b${i}`, scope: { kind: "prefix", prefix: "", allVersions: true }, key: { type: "bucket" } })), dryRun: false },
  createdAt: "2026-12-01T00:00:00.000Z",
  updatedAt: "2026-12-01T00:00:01.000Z",
  invocations: 3,
  shards: [
    { id: 0, units: [0, 1], cursor: { unit: 1, redo: [] }, state: "done", counts: { ...zero, matched: 5, reencrypted: 5 }, invocations: 1 },
    { id: 1, units: [1, 2], cursor: { unit: 1, redo: [] }, state: "running", lease: { owner: "old", until: 0 }, counts: { ...zero, matched: reencrypted, reencrypted }, invocations: 2 },
  ],
  counts: { ...zero, matched: 5 + reencrypted, reencrypted: 5 + reencrypted },
  failures: [],
  reports: [],
});

describe("a format-1 job record", () => {
  it("is read as format 2 and converted at the first write: shard records, then the job record; a racing old writer makes it read again", async () => {
    const state = new MemoryStore();
    const name = "jobs/job-12345678.json";
    await state.putObject("ns", "state", name, JSON.stringify(v1(7)));
    const jobs = createJobStore(state, { namespace: "ns", bucket: "state" }, createLogger("error", {}, () => {}));

    const read = await jobs.read("job-12345678");
    expect(read?.record).toMatchObject({ format: 2, shardCount: 2, open: [1] });
    expect(read?.legacy?.map((s) => s.id)).toEqual([0, 1]);

    // The old release writes once more while the conversion runs: the first replace is refused.
    const put = state.putObject.bind(state);
    let raced = false;
    state.putObject = async (ns, b, n, body, o) => {
      if (n === name && !raced) {
        raced = true;
        await put(ns, b, n, JSON.stringify(v1(9)));
      }
      return put(ns, b, n, body, o);
    };
    const updated = await jobs.update("job-12345678", (r) => {
      r.message = "touched";
      return true;
    });
    expect(raced).toBe(true);
    expect(updated?.written).toBe(true);
    const stored = JSON.parse((await state.getObject("ns", "state", name))?.body.toString("utf8") ?? "{}");
    expect(stored).toMatchObject({ format: 2, message: "touched", shardCount: 2 });
    expect((await jobs.readShard("job-12345678", 0))?.shard).toMatchObject({ state: "done", counts: { reencrypted: 5 } });
    expect((await jobs.readShard("job-12345678", 1))?.shard).toMatchObject({ state: "running" });
  });
});
