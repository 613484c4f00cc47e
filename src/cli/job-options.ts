import { planNotes } from "../jobs/run-invocation.js";
import { resolve } from "node:path";
import { InvalidArgumentError, Option, type Command } from "commander";
import type { FailureRecord } from "../model/failure.js";
import type { InlineKeys } from "../keys/resolve-keys.js";
import type { SseCKey } from "../oci/object-store.js";
import { usageError } from "./cli-error.js";
import { readCheckpoint, type Checkpoint, type RunTarget } from "./checkpoint-file.js";
import { configFilePath } from "./cli-principal.js";
import { openServices, type GlobalOptions, type Services } from "./cli-services.js";
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
  forceTarget?: boolean | undefined;
  outageSeconds?: number | undefined;
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
    .option("--resume <file>", "continue the job of a checkpoint file (after Ctrl-C, a crash or an outage): nothing skipped, where it ran (endpoint, region, profile, auth)")
    .option("--force-target", "with --resume: continue at the --endpoint/--region/--profile/--auth/--config-file given, not where the job ran")
    .addOption(new Option("--outage-seconds <s>", "how long, in all, to wait for a listing that fails transiently (no answer, 429, 5xx) before stopping resumable").argParser(intArg(0, 86_400)).default(120))
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

/** The job a checkpoint holds, ready to run (a run's, a rotation's or a retry's: any command resumes any). */
export function localJobOf(c: Checkpoint): LocalJob {
  return {
    command: c.command,
    spec: c.spec,
    work: { ...c.work, cursor: c.work.cursor ?? { unit: c.work.units[1], redo: [] } },
    totals: c.totals,
    failures: c.failures as FailureRecord[],
    runs: c.runs,
    createdAt: c.createdAt,
    ...(c.estimatedTotal !== undefined ? { estimatedTotal: c.estimatedTotal } : {}),
    ...(c.retryOf ? { retryOf: c.retryOf } : {}),
    ...(c.retriedBy ? { retriedBy: c.retriedBy } : {}),
  };
}

/** A checkpoint as the job to continue, or as a finished job. */
export function jobFromCheckpoint(path: string): { job: LocalJob; checkpoint: Checkpoint } | { finished: Checkpoint } {
  const c = readCheckpoint(path);
  if (c.work.cursor === undefined) return { finished: c };
  return { job: localJobOf(c), checkpoint: c };
}

const stripUserInfo = (url: string): string => {
  try {
    const u = new URL(url);
    u.username = "";
    u.password = "";
    u.search = "";
    return u.href.replace(/\/+$/, "");
  } catch {
    return url.replace(/\/+$/, "");
  }
};

/** Where a job runs now: what its checkpoint records, so a resume goes back there. */
export function runTargetOf(globals: GlobalOptions, services: Pick<Services, "config" | "principal">): RunTarget {
  const auth = globals.auth ?? "api_key";
  const fileBased = auth === "api_key" || auth === "security_token";
  let region: string | undefined;
  try {
    region = (services.principal.provider as { getRegion?: () => { regionId?: string } | undefined }).getRegion?.()?.regionId;
  } catch {
    region = undefined;
  }
  const endpoint = services.config.endpoints.objectStorage;
  return {
    ...(endpoint ? { endpoint: stripUserInfo(endpoint) } : {}),
    ...((region ?? globals.region) ? { region: region ?? globals.region } : {}),
    auth,
    ...(fileBased ? { configFile: configFilePath(globals), profile: globals.profile ?? "DEFAULT" } : {}),
  };
}

const describeTarget = (t: RunTarget): string =>
  [t.endpoint ? `endpoint ${t.endpoint}` : `the region's endpoint`, t.region ? `region ${t.region}` : "", `auth ${t.auth}`, t.configFile ? `config file ${t.configFile}` : "", t.profile ? `profile [${t.profile}]` : ""].filter(Boolean).join(", ");

/**
 * The global options a resume runs with: where the checkpoint says the job ran, for everything not
 * given; an explicit different value (a flag, or OCI_CLI_* / REENCRYPT_OBJECTSTORAGE_ENDPOINT) is
 * refused unless --force-target, because a resume against another endpoint or tenancy lists other
 * buckets (or none) and would close the job's units as failed (issue 20 item 2).
 */
export function resumeGlobals(cp: Checkpoint, path: string, globals: GlobalOptions, force: boolean, env: Readonly<Record<string, string | undefined>> = process.env): { globals: GlobalOptions; notes: string[] } {
  const t = cp.target;
  if (!t) return { globals, notes: [`${path} does not record where the job ran (an older checkpoint): resuming with the flags and environment given`] };
  const givenEndpoint = globals.endpoint ?? env["REENCRYPT_OBJECTSTORAGE_ENDPOINT"];
  const fileBased = t.auth === "api_key" || t.auth === "security_token";
  const differs: string[] = [];
  if (givenEndpoint !== undefined && stripUserInfo(givenEndpoint) !== (t.endpoint ?? "")) differs.push(`endpoint ${stripUserInfo(givenEndpoint)} (it ran at ${t.endpoint ?? "the region's endpoint"})`);
  if (globals.auth !== undefined && globals.auth !== t.auth) differs.push(`--auth ${globals.auth} (it ran with ${t.auth})`);
  if (globals.region !== undefined && t.region !== undefined && globals.region !== t.region) differs.push(`region ${globals.region} (it ran in ${t.region})`);
  if (fileBased && globals.configFile !== undefined && t.configFile !== undefined && configFilePath(globals) !== t.configFile) differs.push(`config file ${configFilePath(globals)} (it ran with ${t.configFile})`);
  if (fileBased && globals.profile !== undefined && t.profile !== undefined && globals.profile !== t.profile) differs.push(`profile [${globals.profile}] (it ran with [${t.profile}])`);
  if (differs.length > 0 && !force) {
    throw usageError(`--resume ${path}: this job ran against ${describeTarget(t)}; this resume would use ${differs.join(", ")}. Resume where it ran (drop those flags or variables), or add --force-target to continue it there (the same buckets must be reachable there).`);
  }
  const out: GlobalOptions = { ...globals };
  if (givenEndpoint === undefined && t.endpoint !== undefined) out.endpoint = t.endpoint;
  if (globals.auth === undefined) out.auth = t.auth as GlobalOptions["auth"];
  if (globals.region === undefined && t.region !== undefined) out.region = t.region;
  if (fileBased && globals.configFile === undefined && t.configFile !== undefined) out.configFile = t.configFile;
  if (fileBased && globals.profile === undefined && t.profile !== undefined) out.profile = t.profile;
  return { globals: out, notes: differs.length > 0 ? [`--force-target: continuing with ${differs.join(", ")}`] : [] };
}

const finishedStatus = (c: Checkpoint) => (c.spec.dryRun ? "dry-run" : c.totals.failed === 0 ? "succeeded" : c.totals.reencrypted === 0 ? "failed" : "partial");

/**
 * `--resume FILE` of run and rotate: the checkpoint's job, where it ran (or refused), with its
 * key files checked; a finished job is answered as such. Returns the exit code.
 */
export async function resumeFromFlags(f: JobFlags & { resume: string }, globals: GlobalOptions, output: OutputFormat): Promise<number> {
  const resumed = jobFromCheckpoint(f.resume);
  if ("finished" in resumed) {
    const c = resumed.finished;
    const status = finishedStatus(c);
    const retry = c.totals.failed > 0 && !c.retriedBy ? `; its failures can be retried: oci-reencrypt retry ${f.resume}` : "";
    printResult({ jobId: c.spec.id, status, counts: c.totals, failures: c.failures, ...(c.retriedBy ? { retriedBy: c.retriedBy } : {}), message: `this job had already finished: nothing left to do${retry}` }, output);
    return exitCodeOf(status, c.totals);
  }
  const inline = inlineKeysFor(resumed.job.spec, f);
  const where = resumeGlobals(resumed.checkpoint, f.resume, globals, f.forceTarget === true);
  for (const n of where.notes) process.stderr.write(`oci-reencrypt: ${n}\n`);
  const services = await openServices(where.globals, { maxRps: f.maxRps });
  return runJobWithFlags(resumed.job, f, services, { inline, output, resumedFrom: resumed.checkpoint, target: runTargetOf(where.globals, services) });
}

/**
 * Runs a local job with the job flags (progress, checkpoint, report), prints its answer on stdout
 * and its failures (with hints) on stderr; returns the exit code.
 */
export async function runJobWithFlags(
  job: LocalJob,
  flags: JobFlags,
  services: Pick<Services, "store" | "secrets" | "log" | "config">,
  o: {
    inline: InlineKeys;
    output: OutputFormat;
    resumedFrom?: Checkpoint | undefined;
    extra?: Record<string, unknown>;
    target?: RunTarget | undefined;
    /** Keep the checkpoint when the job finishes even without --checkpoint (a retry's: the next retry starts from it). */
    keepCheckpoint?: boolean;
    /** A report the job writes without --report (a retry's, beside its original's). */
    defaultReport?: { path: string; format: "jsonl" | "csv" } | undefined;
  },
): Promise<number> {
  const checkpointPath = flags.resume ?? flags.checkpoint ?? resolve(`oci-reencrypt-${job.spec.id}.checkpoint.json`);
  const reportPath = flags.report ?? o.resumedFrom?.report?.path ?? o.defaultReport?.path;
  const reportFormat = flags.report !== undefined ? reportFormatOf(flags.report, flags.reportFormat) : (o.resumedFrom?.report?.format ?? o.defaultReport?.format ?? (reportPath ? reportFormatOf(reportPath, flags.reportFormat) : "jsonl"));
  const report = reportPath === undefined ? undefined : { path: reportPath, format: reportFormat, append: o.resumedFrom !== undefined };
  const mode = resolveProgressMode(flags.progress ?? "auto", process.stderr);
  const progress = createProgress(mode, { jobId: job.spec.id, intervalMs: (flags.progressSeconds ?? 5) * 1000, startDone: job.totals.matched + job.totals.skipped });
  progress.note(`${o.resumedFrom ? "resuming" : "starting"} job ${job.spec.id}: ${job.spec.units.length} scope(s)${job.spec.dryRun ? ", dry run" : ""}; checkpoint ${checkpointPath}`, { checkpoint: checkpointPath });
  const result: LocalRunResult = await runLocalJob(job, {
    store: services.store,
    secrets: services.secrets,
    log: services.log,
    inline: o.inline,
    concurrency: flags.concurrency ?? services.config.concurrency,
    rules: services.config.rules,
    stopAfterIdentical: services.config.stopAfterIdenticalFailures,
    checkpoint: { path: checkpointPath, everyMs: (flags.checkpointSeconds ?? 5) * 1000, keepWhenDone: flags.checkpoint !== undefined || flags.resume !== undefined || o.keepCheckpoint === true },
    report,
    progress,
    target: o.target,
    outageMs: (flags.outageSeconds ?? 120) * 1000,
  });
  printFailures(result.failures, result.counts.failed);
  printResult({ ...result, ...planNotes(job.spec), ...o.extra }, o.output);
  return exitCodeOf(result.status, result.counts, result.stoppedBy);
}
