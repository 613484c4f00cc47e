import { unlinkSync } from "node:fs";
import type { JobStatus } from "../contract/response.js";
import { MAX_DRY_RUN_OBJECTS, MAX_FAILURES, startShard, type RunningShard, type RunShardDeps, type ShardRun, type ShardSnapshot } from "../engine/run-shard.js";
import type { FailureRecord, ObjectRef } from "../model/failure.js";
import type { ReportSink } from "../engine/report-writer.js";
import { ReencryptError } from "../errors.js";
import { finalStatus } from "../jobs/final-status.js";
import { withStopFailures } from "../jobs/unit-stop-record.js";
import { governsFor } from "../keys/governing-key.js";
import type { KeyRule } from "../contract/rules.js";
import { addCounts, zeroCounts, type Counts, type Cursor, type JobSpec, type ShardWork } from "../model/job.js";
import { resolveKeyMaterials, type InlineKeys } from "../keys/resolve-keys.js";
import type { SecretReader } from "../oci/secret-reader.js";
import type { Logger } from "../log.js";
import type { ObjectStore } from "../oci/object-store.js";
import { OciCallError, toOciFailure, type OciFailure } from "../oci/oci-failure.js";
import { CliError, ExitCode } from "./cli-error.js";
import { CHECKPOINT_FORMAT, writeCheckpoint, type Checkpoint, type JobLink, type RunTarget } from "./checkpoint-file.js";
import { formatDuration, type ProgressDisplay } from "./progress-display.js";
import { openReportFile, type ReportFormat } from "./report-file.js";

/** A job as the CLI runs it: the engine's spec and work, and what earlier runs of it did. */
export interface LocalJob {
  command: string;
  spec: JobSpec;
  work: ShardWork;
  totals: Counts;
  failures: FailureRecord[];
  runs: number;
  createdAt: string;
  estimatedTotal?: number | undefined;
  /** The job this one retries (its failures are this job's units). */
  retryOf?: JobLink | undefined;
  /** A job that retried this one's failures. */
  retriedBy?: JobLink | undefined;
}

export interface LocalRunOptions {
  store: ObjectStore;
  secrets: SecretReader;
  log: Logger;
  /** Inline SSE-C keys (from key files), by keySha256. */
  inline: InlineKeys;
  concurrency: number;
  /** REENCRYPT_RULES as the operator's environment has them: which key governs a listed name. */
  rules?: readonly KeyRule[] | undefined;
  /** REENCRYPT_STOP_AFTER_IDENTICAL_FAILURES. */
  stopAfterIdentical?: number | undefined;
  /** undefined: no checkpoint (a one-object job). */
  checkpoint?: { path: string; everyMs: number; keepWhenDone: boolean } | undefined;
  report?: { path: string; format: ReportFormat; append: boolean } | undefined;
  progress: ProgressDisplay;
  /** Where the job runs (endpoint, region, profile, auth), recorded in the checkpoint. */
  target?: RunTarget | undefined;
  /**
   * How long a job waits, in all, for a listing that failed transiently (no answer, 429, 5xx) after
   * its retries before it stops, resumable (default LISTING_OUTAGE_MS).
   */
  outageMs?: number | undefined;
  /** Ctrl-C and SIGTERM stop the job cleanly (default true). */
  handleSignals?: boolean;
}

/** A listing that failed transiently and left its unit for later: where, and what the service said. */
export interface ListingOutage {
  namespace: string;
  bucket: string;
  prefix?: string | undefined;
  object?: string | undefined;
  status: number;
  code: string;
  message: string;
  waitedSeconds: number;
}

export interface LocalRunResult {
  jobId: string;
  status: JobStatus;
  counts: Counts;
  failures: FailureRecord[];
  objects?: ObjectRef[];
  checkpoint?: string;
  report?: string;
  message?: string;
  /** Why work is left: Ctrl-C/SIGTERM, or a listing outage that outlived its bound. */
  stoppedBy?: "signal" | "listing" | undefined;
  listingFailure?: ListingOutage | undefined;
  retryOf?: JobLink | undefined;
}

/** Far enough never to be reached: a local run has no invocation deadline. */
const NEVER = Number.MAX_SAFE_INTEGER;

/** How long, in all, a run waits for a listing outage to pass before it stops (resumable). */
export const LISTING_OUTAGE_MS = 120_000;
/** Pauses between attempts to list again after an outage: growing, each at most a minute. */
const OUTAGE_PAUSES_MS = [5_000, 10_000, 20_000, 40_000, 60_000];

/** Key problems found before anything is called: usage errors (exit 2) when the caller can fix them. */
function keyError(error: unknown): never {
  if (error instanceof ReencryptError && error.status < 500) throw new CliError(error.message.replace(/"key"/g, "--encryption-key-file").replace(/"sourceKey"/g, "--source-encryption-key-file"), ExitCode.usage);
  if (error instanceof ReencryptError || error instanceof OciCallError) throw new CliError(error.message, ExitCode.failures);
  throw error;
}

/** 130 only when a signal stopped the job; a job stopped by an outage, or with failures, is 1. */
export const exitCodeOf = (status: JobStatus, counts: Counts, stoppedBy?: LocalRunResult["stoppedBy"]): ExitCode =>
  status === "incomplete" ? (stoppedBy === "listing" ? ExitCode.failures : ExitCode.interrupted) : counts.failed > 0 || status === "failed" || status === "partial" ? ExitCode.failures : ExitCode.done;

const failureOf = (error: unknown): OciFailure => (error instanceof OciCallError ? error.failure : toOciFailure(error));

/**
 * The engine's ObjectStore, watched: the last listing of each bucket that failed after its
 * retries, so a unit the engine leaves for later can be named with what the service said.
 */
function watchListings(store: ObjectStore): { store: ObjectStore; lastFailure(namespace: string, bucket: string): OciFailure | undefined } {
  const failed = new Map<string, OciFailure>();
  const key = (ns: string, b: string): string => `${ns}/${b}`;
  const watch = async <R>(ns: string, b: string, call: () => Promise<R>): Promise<R> => {
    try {
      const r = await call();
      failed.delete(key(ns, b));
      return r;
    } catch (error) {
      failed.set(key(ns, b), failureOf(error));
      throw error;
    }
  };
  return {
    store: {
      getNamespace: () => store.getNamespace(),
      getBucket: (ns, b, q) => store.getBucket(ns, b, q),
      listBuckets: (ns, c, p) => store.listBuckets(ns, c, p),
      reencryptObject: (r) => store.reencryptObject(r),
      reencryptBucket: (ns, b) => store.reencryptBucket(ns, b),
      getWorkRequest: (id) => store.getWorkRequest(id),
      getObject: (ns, b, name) => store.getObject(ns, b, name),
      putObject: (ns, b, name, body, q) => store.putObject(ns, b, name, body, q),
      listObjects: (ns, b, q) => watch(ns, b, () => store.listObjects(ns, b, q)),
      listObjectVersions: (ns, b, q) => watch(ns, b, () => store.listObjectVersions(ns, b, q)),
      listRetentionRules: (ns, b) => store.listRetentionRules(ns, b),
      listObjectTimes: (ns, b, q) => store.listObjectTimes(ns, b, q),
      deleteObject: (ns, b, name) => store.deleteObject(ns, b, name),
    },
    lastFailure: (ns, b) => failed.get(key(ns, b)),
  };
}

const sleepUnlessStopped = (ms: number, stopped: { wake?: (() => void) | undefined }): Promise<void> =>
  new Promise((r) => {
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      stopped.wake = undefined;
      r();
    }
    stopped.wake = done;
  });

/**
 * Runs a job with the function's engine (startShard) in this process: the same listing, pool,
 * retries, rate limit, outcomes and hints. Checkpoints are engine snapshots (cursor and counts of
 * one instant) written every few seconds and when the job stops. The first Ctrl-C aborts the
 * engine, waits for the calls in flight and writes the checkpoint; a second one writes the
 * checkpoint at once (the calls in flight become its redo list) and exits.
 *
 * The job is finished only when the engine's cursor is gone. A unit the engine leaves in its cursor
 * (a listing that failed transiently after its retries) is listed again after a pause, for at most
 * `outageMs` in all; then the job stops `incomplete`, its checkpoint kept, saying which listing
 * failed and how: never "finished" with a scope left unlisted.
 */
export async function runLocalJob(job: LocalJob, o: LocalRunOptions): Promise<LocalRunResult> {
  const { spec } = job;
  const targetKey = spec.units.find((u) => u.key.type === "sse-c")?.key;
  const materials = await resolveKeyMaterials(targetKey, spec.sourceKey, o.inline, o.secrets).catch(keyError);
  const report: ReportSink | undefined = o.report ? openReportFile(o.report.path, o.report.format, { append: o.report.append }) : undefined;
  const watched = watchListings(o.store);
  // audience "cli": hints name the operator's policy and the CLI's flags (RunShardDeps.audience,
  // the engine's hints change); typed apart so this compiles before and after that change.
  const deps: RunShardDeps = {
    store: watched.store,
    materials,
    concurrency: o.concurrency,
    stopAt: NEVER,
    hardStopAt: NEVER,
    log: o.log,
    report,
    audience: "cli",
    // The rules as the operator's environment has them (REENCRYPT_RULES): a listed name another key governs is left alone.
    governs: governsFor(o.rules ?? []),
    ...(o.stopAfterIdentical !== undefined ? { stopAfterIdentical: o.stopAfterIdentical } : {}),
  };
  const now = (): string => new Date().toISOString();

  // What the rounds before the current one did (a round: one engine run, until it stops).
  let base = job.totals;
  let baseFailures = job.failures;
  let work = job.work;
  let running: RunningShard | undefined;
  let last: ShardSnapshot | undefined;
  const snapshot = (): ShardSnapshot => running?.snapshot() ?? (last as ShardSnapshot);

  const checkpointOf = (cursor: Cursor | undefined, counts: Counts, failures: FailureRecord[]): Checkpoint => ({
    format: CHECKPOINT_FORMAT,
    command: job.command,
    spec,
    work: { ...work, cursor },
    totals: addCounts(base, counts),
    failures: [...baseFailures, ...failures].slice(0, MAX_FAILURES),
    runs: job.runs + 1,
    ...(o.report ? { report: { path: o.report.path, format: o.report.format } } : {}),
    ...(job.estimatedTotal !== undefined ? { estimatedTotal: job.estimatedTotal } : {}),
    ...(o.target ? { target: o.target } : {}),
    ...(job.retryOf ? { retryOf: job.retryOf } : {}),
    ...(job.retriedBy ? { retriedBy: job.retriedBy } : {}),
    createdAt: job.createdAt,
    updatedAt: now(),
  });
  const save = (s: ShardSnapshot): void => {
    if (!o.checkpoint) return;
    try {
      writeCheckpoint(o.checkpoint.path, checkpointOf(s.cursor, s.counts, s.failures));
    } catch (error) {
      o.progress.note(`the checkpoint ${o.checkpoint.path} could not be written: ${error instanceof Error ? error.message : String(error)}`);
    }
  };
  /** The estimate is an estimate: once the job is done, its size is what was done; until then the bar stays short of 100 %. */
  const sample = (s: ShardSnapshot) => {
    const c = addCounts(base, s.counts);
    const done = c.matched + c.skipped;
    const finished = s.cursor === undefined;
    return { done, reencrypted: c.reencrypted, failed: c.failed, skipped: c.skipped, total: finished && job.estimatedTotal !== undefined ? done : job.estimatedTotal, finished };
  };

  const pause: { wake?: (() => void) | undefined } = {};
  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts === 1) {
      running?.abort();
      pause.wake?.();
      o.progress.note(`${signal}: stopping; waiting for the calls in flight, then writing the checkpoint (${signal === "SIGINT" ? "Ctrl-C" : signal} again stops at once)`, { signal });
      return;
    }
    // At once: the calls still in flight are in the snapshot's redo list and are done again on resume.
    const s = snapshot();
    save(s);
    void report?.close();
    o.progress.stop(sample(s));
    process.stderr.write(`stopped at once${o.checkpoint ? `; resume with: oci-reencrypt ${job.command} --resume ${o.checkpoint.path}` : ""}\n`);
    process.exit(ExitCode.interrupted);
  };
  if (o.handleSignals !== false) {
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  }
  const timers: NodeJS.Timeout[] = [];
  let run: ShardRun;
  let outage: ListingOutage | undefined;
  const budget = o.outageMs ?? LISTING_OUTAGE_MS;
  let waited = 0;
  let objects: ObjectRef[] = [];
  try {
    running = startShard(spec, work, deps);
    save(running.snapshot());
    timers.push(setInterval(() => o.progress.update(sample(snapshot())), 200));
    if (o.checkpoint) timers.push(setInterval(() => save(snapshot()), o.checkpoint.everyMs));
    for (let round = 0; ; round++) {
      run = await running.done;
      objects = [...objects, ...run.objects].slice(0, MAX_DRY_RUN_OBJECTS);
      last = { cursor: run.cursor, counts: run.counts, failures: withStopFailures(spec, run.stops, run.failures), workRequest: run.workRequest, stops: run.stops };
      running = undefined;
      if (run.cursor === undefined || interrupts > 0) break;
      // The engine stopped by itself with work left: a unit whose listing failed transiently.
      const unit = spec.units[run.cursor.unit];
      const f = unit ? watched.lastFailure(unit.namespace, unit.bucket) : undefined;
      outage = {
        namespace: unit?.namespace ?? "",
        bucket: unit?.bucket ?? "",
        ...(unit?.scope.kind === "prefix" ? { prefix: unit.scope.prefix } : unit ? { object: unit.scope.object } : {}),
        status: f?.status ?? 0,
        code: f?.code ?? "ListingFailed",
        message: f?.message ?? "the listing failed after its retries",
        waitedSeconds: Math.round(waited / 1000),
      };
      const wait = Math.min(OUTAGE_PAUSES_MS[Math.min(round, OUTAGE_PAUSES_MS.length - 1)] as number, budget - waited);
      if (wait <= 0) break;
      o.progress.note(`listing ${outage.namespace}/${outage.bucket}/${outage.prefix ?? outage.object ?? ""} failed (${outage.status || "no answer"} ${outage.code}: ${outage.message}); listing it again in ${formatDuration(wait / 1000)} (Ctrl-C stops here, resumable)`);
      save(last);
      await sleepUnlessStopped(wait, pause);
      waited += wait;
      if (interrupts > 0) break;
      // The next round goes on from the cursor; the counts so far become its base.
      base = addCounts(base, run.counts);
      baseFailures = [...baseFailures, ...run.failures].slice(0, MAX_FAILURES);
      work = { ...work, cursor: run.cursor };
      last = { cursor: run.cursor, counts: zeroCounts(), failures: [], workRequest: run.workRequest, stops: [] };
      running = startShard(spec, work, deps);
      outage = undefined;
    }
  } finally {
    for (const t of timers) clearInterval(t);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  const finished = run.cursor === undefined;
  save(last as ShardSnapshot);
  if (finished && o.checkpoint && !o.checkpoint.keepWhenDone) {
    try {
      unlinkSync(o.checkpoint.path);
    } catch {
      // Already gone: nothing to clean.
    }
  }
  await report?.close();
  o.progress.stop(sample(last));
  const counts = addCounts(base, run.counts);
  const status = finalStatus(counts, { dryRun: spec.dryRun, remaining: !finished });
  const stoppedBy = finished ? undefined : interrupts > 0 ? "signal" : "listing";
  const resumeWith = `oci-reencrypt ${job.command} --resume ${o.checkpoint?.path ?? "<checkpoint>"}`;
  if (outage) outage.waitedSeconds = Math.round(waited / 1000);
  const where = outage ? `${outage.namespace}/${outage.bucket}/${outage.prefix ?? outage.object ?? ""}` : "";
  return {
    jobId: spec.id,
    status,
    counts,
    failures: [...withStopFailures(spec, run.stops, []), ...baseFailures, ...run.failures].slice(0, MAX_FAILURES),
    ...(spec.dryRun ? { objects } : {}),
    ...(o.checkpoint && (!finished || o.checkpoint.keepWhenDone) ? { checkpoint: o.checkpoint.path } : {}),
    ...(o.report ? { report: o.report.path } : {}),
    ...(stoppedBy ? { stoppedBy } : {}),
    ...(stoppedBy === "listing" && outage ? { listingFailure: outage } : {}),
    ...(job.retryOf ? { retryOf: job.retryOf } : {}),
    ...(stoppedBy === "signal" ? { message: `interrupted; resume with: ${resumeWith}` } : {}),
    ...(stoppedBy === "listing"
      ? { message: `stopped: listing ${where} failed (${outage?.status || "no answer"} ${outage?.code ?? ""}) after its retries${waited > 0 ? ` and ${formatDuration(waited / 1000)} of waiting` : ""}; nothing after it was skipped: resume with ${resumeWith} once the service answers` }
      : {}),
  };
}
