import type { From } from "../access/caller-jobs.js";
import { CONFIG_KEYS } from "../contract/config-keys.js";
import type { JobResponse } from "../contract/response.js";
import { encodePortableToken, newNonce, referenceToken, type PortableJob } from "../contract/resume-token.js";
import { ReencryptError } from "../errors.js";
import { createReportWriter, type ReportSink } from "../engine/report-writer.js";
import { startShard, type ShardRun } from "../engine/run-shard.js";
import type { FailureRecord } from "../model/failure.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";
import { resolveKeyMaterials, type InlineKeys, type KeyMaterials } from "../keys/resolve-keys.js";
import type { Logger } from "../log.js";
import { createRateLimiter, type RateLimiter } from "../oci/rate-limiter.js";
import { reportJobEnd, settleOps, startJobOps } from "../ops/job-ops.js";
import { startCheckpoints, mergeFailures, type Checkpointer } from "./checkpoint.js";
import { dispatchShards } from "./dispatch.js";
import { finalStatus } from "./final-status.js";
import { addCounts, zeroCounts, type Counts, type JobSpec, type ShardWork } from "../model/job.js";
import { isLive, isStalled, refreshDerived, type JobRecord, type RecordStatus, type ShardRecord } from "./job-record.js";
import type { JobStore } from "./job-store.js";
import { leaseMs } from "./leases.js";
import { createRunnerRegistry } from "./runners.js";
import { startSplitter, type MutableRange, type Splitter } from "./split-range.js";
import { writeSummary } from "./summary.js";
import { recordCoverage } from "./coverage-record.js";
import { mergeStops, stopsToAdopt, withStopFailures } from "./unit-stop-record.js";
import { governsFor } from "../keys/governing-key.js";

/**
 * Who carries a job on when this invocation runs out of time: its caller (a request: the answer
 * is "incomplete" with a resume token) or the function itself (events, shards: a detached
 * invocation continues, the answer is "continuing").
 */
export type Driver = "caller" | "self";

export interface DurableRun {
  jobs: JobStore;
  owner: string;
  /** The record and shard as claimed; undefined for a new job, recorded at its first checkpoint. */
  claimed: { record: JobRecord; shard: ShardRecord } | undefined;
}

export interface InvocationInput {
  spec: JobSpec;
  work: ShardWork;
  inline: InlineKeys;
  driver: Driver;
  /** With a state bucket. */
  durable?: DurableRun | undefined;
  /** Without one: what the token brought. */
  portable?: { totals: Counts; seq: number } | undefined;
  /** When this invocation began (epoch ms): a job first recorded at its end started then. */
  startedAt?: number;
  /** A shard taken over in the same invocation keeps the limiter of the one before. */
  limiter?: RateLimiter | undefined;
  /** Who sent it: through the gateway or directly, and the caller a request job belongs to. Undefined: directly. */
  from?: From | undefined;
}

const errorText = (e: unknown): string => (e instanceof Error ? e.message : String(e));

/** What a job's plan left alone (contract §11): scopes other keys govern, read-only buckets. */
export function planNotes(spec: Pick<JobSpec, "leftAlone" | "skippedBuckets">): Pick<JobResponse, "leftAlone" | "skippedBuckets"> {
  return {
    ...(spec.leftAlone && spec.leftAlone.length > 0 ? { leftAlone: spec.leftAlone } : {}),
    ...(spec.skippedBuckets && spec.skippedBuckets.length > 0 ? { skippedBuckets: spec.skippedBuckets } : {}),
  };
}

/** A new job's record, written when it first needs one (its first checkpoint, or when it stops). */
export function newRecord(spec: JobSpec, shards: ShardRecord[], now: number, status: RecordStatus = "running"): JobRecord {
  const at = new Date(now).toISOString();
  const { id, ...rest } = spec;
  return { format: 1, jobId: id, origin: spec.origin, status, spec: rest, createdAt: at, updatedAt: at, invocations: 0, shards, counts: zeroCounts(), failures: [], reports: [] };
}

/** The record of a job first recorded by the invocation running it (its first, invocation 0 of shard 0). */
function firstRecord(spec: JobSpec, work: ShardWork, owner: string, lease: number, counts: Counts, caller: string | undefined): JobRecord {
  const r = newRecord(spec, [{ ...work, state: "running", lease: { owner, until: Date.now() + lease }, counts, invocations: 0 }], Date.now());
  r.invocations = 1;
  if (caller !== undefined) r.caller = caller;
  return r;
}

function recordFinalStatus(r: JobRecord): RecordStatus {
  const s = finalStatus(r.counts, { dryRun: r.spec.dryRun, remaining: false });
  return s === "incomplete" ? "running" : (s as RecordStatus);
}

/**
 * Runs one invocation's share of a job: resolves the keys, runs the engine on the shard, keeps
 * its record (checkpoints, lease, range splits) and, when it stops, decides what happens next:
 * the shard is done (the last one finishes the job and writes its summary), its caller gets a
 * token, or a detached invocation continues it.
 */
export async function runInvocation(input: InvocationInput, rt: Runtime, dl: Deadlines, log: Logger): Promise<JobResponse> {
  const started = Date.now();
  input = { ...input, startedAt: input.startedAt ?? started };
  let step = await runOnce(input, rt, dl, log);
  // A shard that finished with time to spare takes the next waiting shard itself: no new
  // invocation, no cold start, and the job never has more runners than REENCRYPT_MAX_PARALLEL.
  while (step.next && input.durable && Date.now() < dl.stopAt - (dl.stopAt - started) * 0.25) {
    const { record, shard } = step.next;
    log.info("taking over the next shard", { jobId: input.spec.id, shard: shard.id });
    step = await runOnce(
      {
        ...input,
        work: { id: shard.id, units: shard.units, ...(shard.range ? { range: shard.range } : {}), cursor: shard.cursor },
        durable: { ...input.durable, claimed: { record, shard } },
        // The same limiter goes on: a fresh one would start with its window empty while the last
        // second's calls of this invocation still count against REENCRYPT_MAX_RPS.
        limiter: step.limiter,
      },
      rt,
      dl,
      log.child({ shard: shard.id }),
    );
  }
  if (step.next && input.durable) {
    // Out of time after all: give it back and let a detached invocation run it.
    const id = step.next.shard.id;
    const owner = input.durable.owner;
    await input.durable.jobs
      .update(input.spec.id, (r) => {
        const s = r.shards.find((x) => x.id === id);
        if (!s || s.lease?.owner !== owner) return false;
        s.state = "pending";
        delete s.lease;
        return true;
      })
      .then(() => dispatchShards(input.spec.id, dispatchDeps(rt, input.durable?.jobs as JobStore, dl, log)))
      .catch((error: unknown) => log.warn("a shard taken over could not be handed on; it waits for the sweep", { jobId: input.spec.id, error: errorText(error) }));
  }
  await settleOps(rt, dl, log, { origin: input.spec.origin, driver: input.driver, since: started });
  return step.response;
}

interface Step {
  response: JobResponse;
  /** The rate limiter this invocation's calls went through, for the shard it takes over next. */
  limiter?: RateLimiter | undefined;
  /** A shard this invocation claimed to run next. */
  next?: { record: JobRecord; shard: ShardRecord } | undefined;
}

async function runOnce(input: InvocationInput, rt: Runtime, dl: Deadlines, log: Logger): Promise<Step> {
  const { spec, work, durable } = input;
  const config = rt.config;
  const running = durable?.claimed ? Math.max(1, durable.claimed.record.shards.filter((s) => s.state === "running" && isLive(s.lease, Date.now())).length) : 1;
  const limiter = input.limiter ?? createRateLimiter(config.maxRps === undefined ? undefined : config.maxRps / running);
  if (input.limiter && config.maxRps !== undefined) limiter.setCeiling(config.maxRps / running);
  const budget = { notAfter: () => dl.hardStopAt, limiter };
  const store = rt.objectStore(budget);
  const ops = startJobOps(rt, spec, limiter, dl, log);

  let materials: KeyMaterials;
  try {
    const sseCTarget = spec.units.find((u) => u.key.type === "sse-c")?.key;
    materials = await resolveKeyMaterials(sseCTarget, spec.sourceKey, input.inline, rt.secrets(budget));
  } catch (error) {
    // No caller to tell: a detached shard whose key cannot be read fails the job, it does not retry forever.
    if (input.driver === "self" && durable && error instanceof ReencryptError && error.status < 500) {
      return { response: await failShard(input, durable, error, rt, dl, log) };
    }
    throw error;
  }

  // Read before any work: a token secret that cannot be read must fail the invocation while nothing is done yet.
  const tokenKey = durable ? undefined : await rt.tokenKey(budget);

  const invocationIndex = durable?.claimed?.shard.invocations ?? input.portable?.seq ?? 0;
  const report: ReportSink | undefined = durable
    ? createReportWriter({
        store: rt.objectStore({ notAfter: () => dl.deadline - 300, limiter: createRateLimiter(undefined) }),
        namespace: durable.jobs.namespace,
        bucket: durable.jobs.bucket,
        partName: (n) => (work.id === 0 && invocationIndex === 0 && n === 0 ? `reports/${spec.id}.jsonl` : `reports/${spec.id}.${work.id}-${invocationIndex}-${n}.jsonl`),
        log,
      })
    : undefined;

  // REENCRYPT_MAX_RPS is the deployment's: this shard registers as a runner and takes its share,
  // at once when it lists (a long shard), else at its first checkpoint (most object-only shards
  // are done before one, and then cost no registry calls at all).
  const runners =
    durable && config.maxRps !== undefined
      ? createRunnerRegistry({ store: rt.objectStore({ notAfter: () => dl.deadline - 300, limiter: createRateLimiter(undefined) }), state: durable.jobs, owner: durable.owner, jobId: spec.id, leaseMs: leaseMs(config), log })
      : undefined;
  const lists = spec.units.slice(work.units[0], work.units[1]).some((u) => u.scope.kind === "prefix");
  const live = runners && lists ? await runners.heartbeat().catch(() => undefined) : undefined;
  if (live !== undefined && config.maxRps !== undefined) limiter.setCeiling(config.maxRps / Math.max(live, running));

  // A one-unit shard owns a name range (a whole bucket or prefix is one without ends): a split can narrow it.
  let end = work.range?.end;
  const range: MutableRange | undefined = work.units[1] - work.units[0] === 1 ? { start: work.range?.start, end: () => end, setEnd: (e) => (end = e) } : undefined;
  const engine = startShard(spec, work, {
    store,
    materials,
    concurrency: config.concurrency,
    stopAt: dl.stopAt,
    hardStopAt: dl.hardStopAt,
    log,
    report,
    range,
    audience: "function",
    governs: governsFor(config.rules),
    stopAfterIdentical: config.stopAfterIdenticalFailures,
    onUnitStop: () => checkpoints?.soon(),
  });
  // Units other shards (or earlier runs) stopped: this run does not call in them either.
  for (const stop of stopsToAdopt(durable?.claimed?.record.stoppedUnits, work, new Set(work.cursor.stopped?.map((s) => s.unit) ?? []))) engine.adoptStop(stop);

  const base = durable?.claimed?.shard.counts ?? zeroCounts();
  let checkpoints: Checkpointer | undefined;
  let splitter: Splitter | undefined;
  if (durable) {
    const lease = leaseMs(config);
    checkpoints = startCheckpoints({
      jobs: durable.jobs,
      spec,
      work,
      owner: durable.owner,
      intervalMs: config.checkpointSeconds * 1000,
      leaseMs: lease,
      engine,
      report,
      base,
      limiter,
      maxRps: config.maxRps,
      onCheckpoint: ops.checkpoint,
      runners,
      ...(durable.claimed ? {} : { freshRecord: () => firstRecord(spec, work, durable.owner, lease, zeroCounts(), input.from?.caller) }),
      log,
    });
    const canSplit = durable.claimed && !durable.claimed.shard.splitDone && input.driver === "self" && config.maxParallel > 1 && rt.functionId !== undefined && !spec.dryRun;
    if (canSplit && range) {
      splitter = startSplitter({ store, jobs: durable.jobs, spec, work, range, owner: durable.owner, log, every: rt.config.splitVersions, dispatch: async () => void (await dispatchShards(spec.id, dispatchDeps(rt, durable.jobs, dl, log))) });
    }
  }

  const run = await engine.done;
  await splitter?.stop();
  await checkpoints?.stop();
  ops.stop(run.counts);
  await runners?.stop();
  const parts = (await report?.close()) ?? [];
  if (run.stopped === "aborted") {
    return { response: { jobId: spec.id, status: "continuing", counts: zeroCounts(), failures: [], message: `shard ${work.id} is run by another invocation now` } };
  }
  if (!durable) return { response: await finishPortable(input, run, tokenKey, rt, dl, log) };
  const merged = { failures: checkpoints?.mergedFailures() ?? 0, stops: checkpoints?.mergedStops() ?? new Map<number, number>() };
  return { ...(await finishDurable(input, durable, run, parts, base, merged, checkpoints?.recordExists() ?? false, rt, dl, log)), limiter };
}

/** Claims a pending shard (or one whose runner died) for this invocation, in one conditional write. */
async function takeNext(jobs: JobStore, jobId: string, owner: string, lease: number): Promise<{ record: JobRecord; shard: ShardRecord } | undefined> {
  let chosen: number | undefined;
  const updated = await jobs.update(jobId, (r) => {
    chosen = undefined;
    if (r.status !== "running") return false;
    const t = Date.now();
    const s = r.shards.find((x) => x.state === "pending") ?? r.shards.find((x) => isStalled(x, t));
    if (!s) return false;
    s.state = "running";
    s.lease = { owner, until: t + lease };
    // Each run of a shard names its report parts by this count: never reused, even after a kill.
    s.invocations++;
    chosen = s.id;
    refreshDerived(r, t);
    return true;
  });
  if (!updated?.written || chosen === undefined) return undefined;
  const shard = updated.record.shards.find((x) => x.id === chosen) as ShardRecord;
  return { record: updated.record, shard };
}

const dispatchDeps = (rt: Runtime, jobs: JobStore, dl: Deadlines, log: Logger) => ({
  jobs,
  invoker: rt.selfInvoker({ notAfter: () => dl.deadline - 300, limiter: createRateLimiter(undefined) }),
  config: rt.config,
  log,
});

/**
 * Without a state bucket the job travels in a self-contained token: signed with the token secret
 * when there is one; otherwise unsigned, and then only to direct invocations (IAM authorised
 * them). A gateway caller gets no token it could forge (issue 16): its answer says what would
 * make the job resumable.
 */
async function finishPortable(input: InvocationInput, run: ShardRun, tokenKey: Buffer | undefined, rt: Runtime, dl: Deadlines, log: Logger): Promise<JobResponse> {
  const { spec, work } = input;
  const totals = addCounts(input.portable?.totals ?? zeroCounts(), run.counts);
  const response: JobResponse = {
    jobId: spec.id,
    status: finalStatus(totals, { dryRun: spec.dryRun, remaining: run.cursor !== undefined }),
    counts: totals,
    failures: withStopFailures(spec, run.stops, run.failures),
    ...planNotes(spec),
  };
  if (spec.dryRun) response.objects = run.objects;
  if (run.cursor === undefined) return (reportJobEnd(rt, dl, log, { ...response, origin: spec.origin, continued: input.portable !== undefined }), response);
  const caller = input.from?.caller;
  const job: PortableJob = { spec, work: { ...work, cursor: run.cursor }, totals, seq: (input.portable?.seq ?? 0) + 1, ...(caller !== undefined ? { caller } : {}) };
  if (input.driver === "caller" && !tokenKey && input.from?.gateway) {
    return {
      ...response,
      message: `the job stopped at the invocation's deadline and cannot be resumed through the gateway: this function keeps no jobs (${CONFIG_KEYS.stateBucket}) and has no secret to sign a resume token with (${CONFIG_KEYS.tokenSecretId}); set either to make it resumable. Sending the request again starts it over.`,
    };
  }
  const token = encodePortableToken(job, tokenKey);
  if (input.driver === "caller") return { ...response, resume: token };
  const invoker = rt.selfInvoker({ notAfter: () => dl.deadline - 300, limiter: createRateLimiter(undefined) });
  let problem = "FN_FN_ID is not a function OCID, so the job cannot continue itself";
  if (invoker) {
    try {
      await invoker.invokeDetached(JSON.stringify({ resume: token }));
      log.info("job continues in a detached invocation", { jobId: spec.id });
      return { ...response, status: "continuing" };
    } catch (error) {
      problem = `its continuation could not be started: ${errorText(error)}`;
    }
  }
  log.error("job incomplete: resume it with the token in the response (no state bucket keeps it)", { jobId: spec.id, problem });
  return { ...response, status: "incomplete", resume: token, message: problem };
}

async function finishDurable(
  input: InvocationInput,
  durable: DurableRun,
  run: ShardRun,
  parts: string[],
  base: Counts,
  merged: { failures: number; stops: ReadonlyMap<number, number> },
  recorded: boolean,
  rt: Runtime,
  dl: Deadlines,
  log: Logger,
): Promise<Step> {
  const { spec, work } = input;
  const jobs = durable.jobs;
  let next: Step["next"];
  const shardCounts = addCounts(base, run.counts);
  const newFailures = run.failures.slice(merged.failures);
  const exists = durable.claimed !== undefined || recorded;

  // Done before any record was needed: the answer is the whole story, plus the report.
  if (!exists && run.cursor === undefined) {
    const response: JobResponse = {
      jobId: spec.id,
      status: finalStatus(run.counts, { dryRun: spec.dryRun, remaining: false }),
      counts: run.counts,
      failures: withStopFailures(spec, run.stops, run.failures),
      ...planNotes(spec),
    };
    if (spec.dryRun) response.objects = run.objects;
    if (parts.length === 1) response.report = parts[0] as string;
    else if (parts.length > 1) {
      const r = newRecord(spec, [], Date.now(), response.status as RecordStatus);
      r.counts = run.counts;
      r.failures = run.failures;
      if (run.stops.length > 0) {
        r.stoppedUnits = {};
        mergeStops(r.stoppedUnits, run.stops, new Map());
      }
      r.reports = parts;
      r.invocations = 1;
      r.finishedAt = r.updatedAt;
      response.report = await writeSummary(jobs, r).catch(() => parts[0] as string);
    }
    const { id: jobId, ...rest } = spec;
    await recordCoverage(jobs, { spec: rest, jobId, origin: spec.origin, createdAt: new Date(input.startedAt ?? Date.now()).toISOString(), allComplete: run.counts.failed === 0 && run.stops.length === 0 }, log);
    // A job with failures keeps a (finished) record, so that {"retry": jobId} finds what failed.
    if (run.counts.failed > 0) {
      const r = newRecord(spec, [{ ...work, cursor: { unit: work.units[1], redo: [] }, state: "done", counts: run.counts, invocations: 0 }], Date.now(), response.status as RecordStatus);
      r.counts = run.counts;
      r.failures = run.failures;
      r.reports = parts;
      r.invocations = 1;
      r.finishedAt = r.updatedAt;
      // Bound to its gateway caller like any request job: only that caller may see or retry it.
      if (input.from?.caller !== undefined) r.caller = input.from.caller;
      if (run.stops.length > 0) {
        r.stoppedUnits = {};
        mergeStops(r.stoppedUnits, run.stops, new Map());
      }
      await jobs.create(r).catch((error: unknown) => log.warn("the record of a job with failures could not be written; it cannot be retried by id", { jobId: spec.id, error: errorText(error) }));
    }
    reportJobEnd(rt, dl, log, { ...response, origin: spec.origin });
    return { response };
  }

  const applyStop = (r: JobRecord): ShardRecord | undefined => {
    const s = r.shards.find((x) => x.id === work.id);
    if (!s || s.lease?.owner !== durable.owner) return undefined;
    s.counts = shardCounts;
    if (run.cursor) s.cursor = run.cursor;
    if (run.workRequest) s.workRequest = run.workRequest;
    mergeFailures(r, newFailures);
    if (run.stops.length > 0) {
      r.stoppedUnits ??= {};
      mergeStops(r.stoppedUnits, run.stops, merged.stops);
    }
    for (const p of parts) if (!r.reports.includes(p)) r.reports.push(p);
    return s;
  };
  const ensure = async (mutate: (r: JobRecord) => boolean): Promise<JobRecord | undefined> => {
    const updated = await jobs.update(spec.id, mutate);
    if (updated) return updated.written ? updated.record : undefined;
    const fresh = firstRecord(spec, work, durable.owner, leaseMs(rt.config), base, input.from?.caller);
    if (!mutate(fresh)) return undefined;
    return (await jobs.create(fresh))?.record;
  };

  let record: JobRecord | undefined;
  let token: string | undefined;
  if (run.cursor === undefined) {
    record = await ensure((r) => {
      const s = applyStop(r);
      if (!s) return false;
      s.state = "done";
      s.cursor = { unit: s.units[1], redo: [] };
      delete s.lease;
      const t = Date.now();
      refreshDerived(r, t);
      if (r.shards.every((x) => x.state === "done")) {
        r.status = recordFinalStatus(r);
        r.finishedAt = new Date(t).toISOString();
        delete r.etaSeconds;
      }
      return true;
    });
    if (record && record.status !== "running") {
      try {
        const summary = await writeSummary(jobs, record);
        await jobs.update(spec.id, (r) => {
          if (r.summary === summary) return false;
          r.summary = summary;
          return true;
        });
        record.summary = summary;
      } catch (error) {
        log.warn("the job summary could not be written", { jobId: spec.id, error: errorText(error) });
      }
      await recordCoverage(jobs, record, log);
      log.info("job finished", { jobId: spec.id, status: record.status, counts: record.counts });
      reportJobEnd(rt, dl, log, record);
    } else if (record) {
      // Free slot: this invocation takes the next waiting shard itself when it can; more free
      // slots (a failed dispatch, a dead runner) get detached invocations.
      if (input.driver === "self") next = await takeNext(jobs, spec.id, durable.owner, leaseMs(rt.config)).catch(() => undefined);
      await dispatchShards(spec.id, dispatchDeps(rt, jobs, dl, log)).catch((error: unknown) => log.warn("dispatch after a shard failed", { jobId: spec.id, error: errorText(error) }));
    }
  } else if (input.driver === "caller" || !rt.functionId) {
    // A job that cannot continue itself (no function OCID) waits for someone to resume it by hand.
    const nonce = newNonce();
    record = await ensure((r) => {
      const s = applyStop(r);
      if (!s) return false;
      s.state = "waiting";
      delete s.lease;
      r.resume = { nonce };
      if (!r.shards.some((x) => x.state === "running" && isLive(x.lease, Date.now()))) r.status = "incomplete";
      refreshDerived(r, Date.now());
      return true;
    });
    if (record) token = referenceToken({ jobId: spec.id, nonce });
  } else {
    if (!exists) await ensure((r) => applyStop(r) !== undefined && (refreshDerived(r, Date.now()), true));
    const d = await dispatchShards(spec.id, dispatchDeps(rt, jobs, dl, log), {
      only: work.id,
      alsoChange: (r) => {
        if (exists) applyStop(r);
      },
    });
    record = d.record;
    if (d.started.length === 0) {
      // Nobody continues it now: it is stalled, and the next sweep (or a redelivery) resumes it.
      await jobs
        .update(spec.id, (r) => {
          const s = r.shards.find((x) => x.id === work.id);
          if (!s || s.state !== "running" || (s.lease?.owner !== durable.owner && !s.lease?.owner.startsWith("dispatch:"))) return false;
          s.state = "pending";
          delete s.lease;
          return true;
        })
        .catch(() => undefined);
      log.error("shard stopped and could not start its continuation; the sweep resumes it", { jobId: spec.id, shard: work.id });
    }
  }

  if (!record) {
    return { response: { jobId: spec.id, status: "continuing", counts: shardCounts, failures: run.failures, message: `shard ${work.id} is run by another invocation now` } };
  }
  const status = record.status === "running" ? (token ? "incomplete" : "continuing") : record.status === "incomplete" ? "incomplete" : record.status;
  const response: JobResponse = { jobId: spec.id, status, counts: record.counts, failures: withStopFailures(spec, record.stoppedUnits, record.failures), ...planNotes(spec) };
  if (spec.dryRun) response.objects = run.objects;
  if (token) response.resume = token;
  const reportPath = record.summary ?? parts[0] ?? record.reports[0];
  if (reportPath) response.report = reportPath;
  return { response, next };
}

/** A detached shard whose keys cannot be resolved: recorded as a failure of its units, the job goes on. */
async function failShard(input: InvocationInput, durable: DurableRun, error: ReencryptError, rt: Runtime, dl: Deadlines, log: Logger): Promise<JobResponse> {
  const { spec, work } = input;
  const unit = spec.units[work.units[0]];
  const failure: FailureRecord = {
    namespace: unit?.namespace ?? "",
    bucket: unit?.bucket ?? "",
    object: "",
    status: error.status,
    code: error.code,
    message: error.message,
    hint: "The job's key could not be read: check the secret exists and the function may read it, then send the request again.",
  };
  log.error("shard failed: its key could not be resolved", { jobId: spec.id, shard: work.id, code: error.code });
  const run: ShardRun = {
    cursor: undefined,
    counts: { ...zeroCounts(), failed: 1 },
    failures: [failure],
    objects: [],
    workRequest: undefined,
    stops: [],
    stopped: "done",
  };
  return (await finishDurable(input, durable, run, [], durable.claimed?.shard.counts ?? zeroCounts(), { failures: 0, stops: new Map() }, false, rt, dl, log)).response;
}
