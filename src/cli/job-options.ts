import { resolve } from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import type { FailureRecord } from "../model/failure.js";
import type { InlineKeys } from "../keys/resolve-keys.js";
import type { SseCKey } from "../oci/object-store.js";
import { usageError } from "./cli-error.js";
import { readCheckpoint, type Checkpoint } from "./checkpoint-file.js";
import type { Services } from "./cli-services.js";
import { createProgress, PROGRESS_MODES, resolveProgressMode, type ProgressMode } from "./progress-display.js";
import { printFailures, printResult, type OutputFormat } from "./render-output.js";
import { readKeyFile } from "./read-key-file.js";
import { reportFormatOf } from "./report-file.js";
import { exitCodeOf, runLocalJob, type LocalJob, type LocalRunResult } from "./run-local-job.js";

export const intArg =
  (min: number, max: number) =>
  (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be a whole number from ${min} to ${max}.`);
    return n;
  };

export const positiveArg = (v: string): number => {
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number.");
  return n;
};

export const collect = (v: string, prev: string[] | undefined): string[] => [...(prev ?? []), v];

/** The options of every command that runs a job here: run and rotate. */
export interface JobFlags {
  concurrency?: number | undefined;
  maxRps?: number | undefined;
  checkpoint?: string | undefined;
  checkpointSeconds?: number;
  resume?: string | undefined;
  report?: string | undefined;
  reportFormat?: string | undefined;
  progress?: ProgressMode;
  progressSeconds?: number;
  encryptionKeyFile?: string | undefined;
  sourceEncryptionKeyFile?: string | undefined;
}

export function addJobOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--concurrency <n>", "ReencryptObject calls in flight (default REENCRYPT_CONCURRENCY or 16)").argParser(intArg(1, 256)))
    .addOption(new Option("--max-rps <n>", "at most this many Object Storage requests per second (default REENCRYPT_MAX_RPS, else unlimited; halved on 429)").argParser(positiveArg))
    .option("--checkpoint <file>", "where the checkpoint is written (default ./oci-reencrypt-<jobId>.checkpoint.json, removed when the job ends)")
    .addOption(new Option("--checkpoint-seconds <s>", "how often the checkpoint is written").argParser(intArg(1, 3600)).default(5))
    .option("--resume <file>", "continue the job of a checkpoint file (after Ctrl-C or a crash): nothing skipped")
    .option("--report <file>", "write one line per object version: JSON lines, or CSV for a .csv name")
    .option("--report-format <format>", "jsonl or csv (default: by the --report file's extension)")
    .addOption(new Option("--progress <mode>", "auto: a bar on a terminal, JSON lines otherwise").choices(PROGRESS_MODES).default("auto"))
    .addOption(new Option("--progress-seconds <s>", "interval of the JSON progress lines").argParser(positiveArg).default(5));
}

/** Key files for a resumed job: each must be the key the job was started with (its keySha256). */
export function inlineKeysFor(spec: { units: { key: { type: string } & Record<string, unknown> }[]; sourceKey?: { keySha256?: string } | { secretId?: string } | undefined }, flags: JobFlags): InlineKeys {
  const inline = new Map<string, SseCKey>();
  const want = (sha: string | undefined, file: string | undefined, flag: string, what: string): void => {
    if (sha === undefined) return;
    if (file === undefined) throw usageError(`this job was started with an inline SSE-C ${what} key (keySha256 ${sha}): pass ${flag} with the same key again`);
    const k = readKeyFile(file, flag);
    if (k.keySha256 !== sha) throw usageError(`${flag} ${file}: not the key this job was started with (keySha256 ${k.keySha256}, the job's is ${sha})`);
    inline.set(sha, k);
  };
  const target = spec.units.find((u) => u.key.type === "sse-c" && typeof u.key["keySha256"] === "string")?.key["keySha256"] as string | undefined;
  want(target, flags.encryptionKeyFile, "--encryption-key-file", "target");
  const src = spec.sourceKey && "keySha256" in spec.sourceKey ? spec.sourceKey.keySha256 : undefined;
  want(src, flags.sourceEncryptionKeyFile, "--source-encryption-key-file", "source");
  return inline;
}

/** A checkpoint as the job to continue (a run's or a rotation's: either command resumes either). */
export function jobFromCheckpoint(path: string): { job: LocalJob; checkpoint: Checkpoint } | { finished: Checkpoint } {
  const c = readCheckpoint(path);
  if (c.work.cursor === undefined) return { finished: c };
  const job: LocalJob = {
    command: c.command,
    spec: c.spec,
    work: { ...c.work, cursor: c.work.cursor },
    totals: c.totals,
    failures: c.failures as FailureRecord[],
    runs: c.runs,
    createdAt: c.createdAt,
    ...(c.estimatedTotal !== undefined ? { estimatedTotal: c.estimatedTotal } : {}),
  };
  return { job, checkpoint: c };
}

/**
 * Runs a local job with the job flags (progress, checkpoint, report), prints its answer on stdout
 * and its failures (with hints) on stderr; returns the exit code.
 */
export async function runJobWithFlags(
  job: LocalJob,
  flags: JobFlags,
  services: Pick<Services, "store" | "secrets" | "log" | "config">,
  o: { inline: InlineKeys; output: OutputFormat; resumedFrom?: Checkpoint | undefined; extra?: Record<string, unknown> },
): Promise<number> {
  const checkpointPath = flags.resume ?? flags.checkpoint ?? resolve(`oci-reencrypt-${job.spec.id}.checkpoint.json`);
  const reportPath = flags.report ?? o.resumedFrom?.report?.path;
  const report = reportPath === undefined ? undefined : { path: reportPath, format: flags.report !== undefined ? reportFormatOf(reportPath, flags.reportFormat) : (o.resumedFrom?.report?.format ?? reportFormatOf(reportPath, flags.reportFormat)), append: o.resumedFrom !== undefined };
  const mode = resolveProgressMode(flags.progress ?? "auto", process.stderr);
  const progress = createProgress(mode, { jobId: job.spec.id, intervalMs: (flags.progressSeconds ?? 5) * 1000 });
  progress.note(`${o.resumedFrom ? "resuming" : "starting"} job ${job.spec.id}: ${job.spec.units.length} scope(s)${job.spec.dryRun ? ", dry run" : ""}; checkpoint ${checkpointPath}`, { checkpoint: checkpointPath });
  const result: LocalRunResult = await runLocalJob(job, {
    store: services.store,
    secrets: services.secrets,
    log: services.log,
    inline: o.inline,
    concurrency: flags.concurrency ?? services.config.concurrency,
    checkpoint: { path: checkpointPath, everyMs: (flags.checkpointSeconds ?? 5) * 1000, keepWhenDone: flags.checkpoint !== undefined || flags.resume !== undefined },
    report,
    progress,
  });
  printFailures(result.failures, result.counts.failed);
  printResult({ ...result, ...o.extra }, o.output);
  return exitCodeOf(result.status, result.counts);
}
