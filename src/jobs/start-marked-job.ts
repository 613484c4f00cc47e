import type { JobResponse } from "../contract/response.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";
import type { Logger } from "../log.js";
import type { KeyInfo } from "../oci/key-management.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import { dispatchShards } from "./dispatch.js";
import { foldDoneShards } from "./finish-shard.js";
import { zeroCounts, type JobSpec } from "../model/job.js";
import type { JobStore } from "./job-store.js";
import { loadView, statusOf, type JobView } from "./job-view.js";
import { leaseMs, newOwner } from "./leases.js";
import { newJobRecord, runningShard } from "./new-records.js";
import { planNotes, runInvocation } from "./run-invocation.js";

const answer = (jobId: string, status: JobResponse["status"], message: string): JobResponse => ({ jobId, status, counts: zeroCounts(), failures: [], message });

interface Marker {
  jobId: string;
  at: string;
}

/** One job per occurrence: a rotation to a key version, a bucket's move to a new key. */
export interface JobMarker {
  /** Object name in the state bucket, written once (if-none-match). */
  name: string;
  /** "rotation of K to key version V": how answers and logs name the occurrence. */
  what: string;
  /** What else the marker records (the event that announced it). */
  extra: Record<string, unknown>;
}

/**
 * A confirmed rotation with a state bucket: the marker rotations/<key>/<version>.json names the
 * one job of that rotation (manual and automatic events, and redeliveries, announce the same
 * one).
 */
export function startRotation(
  decision: { spec: JobSpec; key: KeyInfo; estimatedVersions: number | undefined },
  event: { eventType: string; eventId: string | undefined },
  jobs: JobStore,
  rt: Runtime,
  dl: Deadlines,
  log: Logger,
): Promise<JobResponse> {
  const { key } = decision;
  const marker: JobMarker = {
    name: `rotations/${key.id}/${key.currentKeyVersion}.json`,
    what: `rotation of ${key.id} to ${key.currentKeyVersion}`,
    extra: { eventType: event.eventType, eventId: event.eventId },
  };
  return startMarkedJob({ ...decision, message: `rotation of ${key.id} to key version ${key.currentKeyVersion}` }, marker, jobs, rt, dl, log);
}

/**
 * The one job of an occurrence (a marker names it): its record is written with one shard per
 * unit and the shards are dispatched as detached invocations; the answer is "continuing". A
 * second announcement finds the marker: a stalled job is resumed, a running or finished one is
 * left alone.
 */
export async function startMarkedJob(
  decision: { spec: JobSpec; estimatedVersions: number | undefined; message: string },
  m: JobMarker,
  jobs: JobStore,
  rt: Runtime,
  dl: Deadlines,
  log: Logger,
): Promise<JobResponse> {
  let spec = decision.spec;
  const marker: Marker = { jobId: spec.id, at: new Date().toISOString() };
  const created = await jobs.writeText(m.name, JSON.stringify({ ...marker, ...m.extra }), { ifNoneMatch: true });
  if (created === undefined) {
    const existing = await jobs.readText(m.name);
    const earlier = existing ? (JSON.parse(existing.text) as Marker) : undefined;
    if (!earlier?.jobId) return answer(spec.id, "skipped", `${m.what} was already handled`);
    const stored = await loadView(jobs, earlier.jobId);
    if (stored) return redelivered(stored, jobs, rt, dl, log);
    // The marker's writer died before writing the record, or is writing it now.
    if (Date.now() - Date.parse(earlier.at) < leaseMs(rt.config)) return answer(earlier.jobId, "skipped", `${m.what} is being started`);
    spec = { ...spec, id: earlier.jobId };
    log.warn("job marker without a job record: starting its job again", { jobId: spec.id, marker: m.name });
  }

  const invoker = rt.selfInvoker({ notAfter: () => dl.deadline - 300, limiter: createRateLimiter(undefined) });
  const now = Date.now();
  // With a function OCID the units run as parallel shards (their records are written as each is
  // dispatched); without one (not in OCI Functions) the whole job is one shard this invocation
  // runs itself.
  const record = newJobRecord(spec, { layout: invoker ? "per-unit" : "whole", now });
  if (decision.estimatedVersions !== undefined) record.estimatedVersions = decision.estimatedVersions;
  record.message = decision.message;
  if (!invoker) {
    const owner = newOwner();
    record.open = [0];
    const work = { id: 0, units: [0, spec.units.length] as [number, number], cursor: { unit: 0, redo: [] } };
    const shard = await jobs.createShard(runningShard(spec.id, work, { owner, until: now + leaseMs(rt.config) }, { now, invocations: 1 }));
    const stored = shard ? await jobs.create(record) : undefined;
    if (!shard || !stored) return answer(spec.id, "skipped", `job ${spec.id} exists already`);
    log.info("job runs in this invocation (no function OCID to fan out)", { jobId: spec.id, origin: spec.origin, units: spec.units.length });
    return runInvocation({ spec, work, inline: new Map(), driver: "self", durable: { jobs, owner, claimed: { record: stored.record, shard: shard.shard } } }, rt, dl, log);
  }
  const stored = await jobs.create(record);
  if (!stored) return answer(spec.id, "skipped", `job ${spec.id} exists already`);
  const d = await dispatchShards(spec.id, { jobs, invoker, config: rt.config, log }, { view: { record: stored.record, etag: stored.etag, shards: new Map() } });
  log.info("sharded job scheduled", { jobId: spec.id, origin: spec.origin, units: spec.units.length, shards: record.shardCount, dispatched: d.started.length });
  if (d.started.length === 0) {
    log.error("no shard of the job could be started; the job is recorded and the next sweep resumes it", { jobId: spec.id });
    return answer(spec.id, "incomplete", `job ${spec.id} is recorded but none of its shards could be started (InvokeFunction failed): the next sweep resumes it`);
  }
  return { ...answer(spec.id, "continuing", `${record.shardCount} shard(s), ${d.started.length} started, at most ${rt.config.maxParallel} at once`), ...planNotes(spec) };
}

async function redelivered(v: JobView, jobs: JobStore, rt: Runtime, dl: Deadlines, log: Logger): Promise<JobResponse> {
  const r = v.record;
  const status = statusOf(v, Date.now());
  if (status === "stalled") {
    const invoker = rt.selfInvoker({ notAfter: () => dl.deadline - 300, limiter: createRateLimiter(undefined) });
    const deps = { jobs, invoker, config: rt.config, log };
    const folded = await foldDoneShards(v, deps, rt, dl);
    const fresh = folded > 0 ? await loadView(jobs, r.jobId) : v;
    const d = fresh ? await dispatchShards(r.jobId, deps, { view: fresh }) : { started: [] };
    log.info("a second announcement resumes its stalled job", { jobId: r.jobId, shards: d.started });
    return answer(r.jobId, d.started.length > 0 ? "continuing" : "incomplete", `job ${r.jobId} was stalled: ${d.started.length} shard(s) resumed`);
  }
  if (status === "running") return answer(r.jobId, "skipped", `its job (${r.jobId}) is running`);
  return answer(r.jobId, "skipped", `its job (${r.jobId}) has ended: ${status}`);
}
