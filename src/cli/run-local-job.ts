import { unlinkSync } from "node:fs";
import type { JobStatus } from "../contract/response.js";
import { MAX_FAILURES, startShard, type ShardSnapshot } from "../engine/run-shard.js";
import type { FailureRecord, ObjectRef } from "../model/failure.js";
import type { ReportSink } from "../engine/report-writer.js";
import { ReencryptError } from "../errors.js";
import { finalStatus } from "../jobs/final-status.js";
import { addCounts, type Counts, type JobSpec, type ShardWork } from "../model/job.js";
import { resolveKeyMaterials, type InlineKeys } from "../keys/resolve-keys.js";
import type { SecretReader } from "../oci/secret-reader.js";
import type { Logger } from "../log.js";
import type { ObjectStore } from "../oci/object-store.js";
import { OciCallError } from "../oci/oci-failure.js";
import { CliError, ExitCode } from "./cli-error.js";
import { CHECKPOINT_FORMAT, writeCheckpoint, type Checkpoint } from "./checkpoint-file.js";
import type { ProgressDisplay } from "./progress-display.js";
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
}

export interface LocalRunOptions {
  store: ObjectStore;
  secrets: SecretReader;
  log: Logger;
  /** Inline SSE-C keys (from key files), by keySha256. */
  inline: InlineKeys;
  concurrency: number;
  /** undefined: no checkpoint (a one-object job). */
  checkpoint?: { path: string; everyMs: number; keepWhenDone: boolean } | undefined;
  report?: { path: string; format: ReportFormat; append: boolean } | undefined;
  progress: ProgressDisplay;
  /** Ctrl-C and SIGTERM stop the job cleanly (default true). */
  handleSignals?: boolean;
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
}

/** Far enough never to be reached: a local run has no invocation deadline. */
const NEVER = Number.MAX_SAFE_INTEGER;

/** Key problems found before anything is called: usage errors (exit 2) when the caller can fix them. */
function keyError(error: unknown): never {
  if (error instanceof ReencryptError && error.status < 500) throw new CliError(error.message.replace(/"key"/g, "--encryption-key-file").replace(/"sourceKey"/g, "--source-encryption-key-file"), ExitCode.usage);
  if (error instanceof ReencryptError || error instanceof OciCallError) throw new CliError(error.message, ExitCode.failures);
  throw error;
}

export const exitCodeOf = (status: JobStatus, counts: Counts): ExitCode =>
  status === "incomplete" ? ExitCode.interrupted : counts.failed > 0 || status === "failed" || status === "partial" ? ExitCode.failures : ExitCode.done;

/**
 * Runs a job with the function's engine (startShard) in this process: the same listing, pool,
 * retries, rate limit, outcomes and hints. Checkpoints are engine snapshots (cursor and counts of
 * one instant) written every few seconds and when the job stops. The first Ctrl-C aborts the
 * engine, waits for the calls in flight and writes the checkpoint; a second one writes the
 * checkpoint at once (the calls in flight become its redo list) and exits.
 */
export async function runLocalJob(job: LocalJob, o: LocalRunOptions): Promise<LocalRunResult> {
  const { spec, work } = job;
  const targetKey = spec.units.find((u) => u.key.type === "sse-c")?.key;
  const materials = await resolveKeyMaterials(targetKey, spec.sourceKey, o.inline, o.secrets).catch(keyError);
  const report: ReportSink | undefined = o.report ? openReportFile(o.report.path, o.report.format, { append: o.report.append }) : undefined;
  const running = startShard(spec, work, { store: o.store, materials, concurrency: o.concurrency, stopAt: NEVER, hardStopAt: NEVER, log: o.log, report });
  const now = (): string => new Date().toISOString();

  const checkpointOf = (cursor: ShardWork["cursor"] | undefined, counts: Counts, failures: FailureRecord[]): Checkpoint => ({
    format: CHECKPOINT_FORMAT,
    command: job.command,
    spec,
    work: { ...work, cursor },
    totals: addCounts(job.totals, counts),
    failures: [...job.failures, ...failures].slice(0, MAX_FAILURES),
    runs: job.runs + 1,
    ...(o.report ? { report: { path: o.report.path, format: o.report.format } } : {}),
    ...(job.estimatedTotal !== undefined ? { estimatedTotal: job.estimatedTotal } : {}),
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
  /** The estimate is an estimate: once the job is done, its size is what was done. */
  const sample = (s: ShardSnapshot) => {
    const c = addCounts(job.totals, s.counts);
    const done = c.matched + c.skipped;
    return { done, reencrypted: c.reencrypted, failed: c.failed, skipped: c.skipped, total: s.cursor === undefined && job.estimatedTotal !== undefined ? done : job.estimatedTotal };
  };

  save(running.snapshot());
  const timers = [setInterval(() => o.progress.update(sample(running.snapshot())), 200)];
  if (o.checkpoint) timers.push(setInterval(() => save(running.snapshot()), o.checkpoint.everyMs));

  let interrupts = 0;
  const onSignal = (signal: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts === 1) {
      running.abort();
      o.progress.note(`${signal}: stopping; waiting for the calls in flight, then writing the checkpoint (${signal === "SIGINT" ? "Ctrl-C" : signal} again stops at once)`, { signal });
      return;
    }
    // At once: the calls still in flight are in the snapshot's redo list and are done again on resume.
    const s = running.snapshot();
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
  let run;
  try {
    run = await running.done;
  } finally {
    for (const t of timers) clearInterval(t);
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
  const finished = run.stopped === "done";
  const last: ShardSnapshot = { cursor: run.cursor, counts: run.counts, failures: run.failures, workRequest: run.workRequest, stops: run.stops };
  save(last);
  if (finished && o.checkpoint && !o.checkpoint.keepWhenDone) {
    try {
      unlinkSync(o.checkpoint.path);
    } catch {
      // Already gone: nothing to clean.
    }
  }
  await report?.close();
  o.progress.stop(sample(last));
  const counts = addCounts(job.totals, run.counts);
  const status = finalStatus(counts, { dryRun: spec.dryRun, remaining: !finished });
  return {
    jobId: spec.id,
    status,
    counts,
    failures: [...job.failures, ...run.failures].slice(0, MAX_FAILURES),
    ...(spec.dryRun ? { objects: run.objects } : {}),
    ...(o.checkpoint && (!finished || o.checkpoint.keepWhenDone) ? { checkpoint: o.checkpoint.path } : {}),
    ...(o.report ? { report: o.report.path } : {}),
    ...(finished ? {} : { message: `interrupted; resume with: oci-reencrypt ${job.command} --resume ${o.checkpoint?.path ?? "<checkpoint>"}` }),
  };
}
