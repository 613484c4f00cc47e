import { existsSync, readFileSync } from "node:fs";
import { basename, dirname, extname, join, resolve } from "node:path";
import { Command } from "commander";
import { MAX_JOB_UNITS } from "../contract/job-spec-schema.js";
import { MAX_TARGETS } from "../contract/request.js";
import { failedRef, retrySpec } from "../jobs/retry-job.js";
import type { ObjectRef } from "../model/failure.js";
import { wholeJob, zeroCounts } from "../model/job.js";
import { CliError, ExitCode, usageError } from "./cli-error.js";
import { readCheckpoint, writeCheckpoint, type Checkpoint } from "./checkpoint-file.js";
import { openServices, type GlobalOptions } from "./cli-services.js";
import { addFollowOptions, addTargetOptions, openTarget, sendAndFollow, type FollowFlags } from "./function-commands.js";
import { addJobOptions, inlineKeysFor, resumeGlobals, runJobWithFlags, runTargetOf, type JobFlags } from "./job-options.js";
import { keyFileAsBase64 } from "./read-key-file.js";
import { printResult } from "./render-output.js";
import { parseCsvReport } from "./report-file.js";

type RetryFlags = JobFlags & FollowFlags;

const EXAMPLES = `
A new job of exactly what a finished job failed: every failed version (from its report; without
one, the checkpoint's first 100 failures), and every scope that failed as a whole (a listing that
failed, a ReencryptBucket) retried as it was. Linked both ways: the new checkpoint (or job record)
names the old job in retryOf, the old one the new in retriedBy. A job retried once is retried no
more: retry the retry for what still fails.

  <checkpoint file>  a job run here (run, rotate, or an earlier retry): run here, where the job ran
                     (as --resume: --force-target to go elsewhere); its checkpoint is kept
  <jobId>            a job of the deployed function ({"retry": "<jobId>"}): --function-id, or
                     --gateway-url for a caller's own request jobs

Examples:
  $ oci-reencrypt retry ./oci-reencrypt-3f0c….checkpoint.json
  $ oci-reencrypt retry inv.ckpt.json --report inv-retry.csv --source-encryption-key-file old.key
  $ oci-reencrypt retry 3f0c…-job-id --function-id ocid1.fnfunc.oc1..aaaa`;

/** Every failed line of a local job: its report when it has one, else what the checkpoint keeps. */
function localFailures(c: Checkpoint, path: string): { refs: ObjectRef[]; from: string; missing: number } {
  const report = c.report;
  if (report && existsSync(report.path)) {
    const text = readFileSync(report.path, "utf8");
    const lines: Record<string, unknown>[] =
      report.format === "csv"
        ? parseCsvReport(text)
        : text
            .split("\n")
            .filter((l) => l.includes('"failed"'))
            .flatMap((l) => {
              try {
                return [JSON.parse(l) as Record<string, unknown>];
              } catch {
                return [];
              }
            });
    const refs = lines.map(failedRef).filter((r): r is ObjectRef => r !== undefined);
    return { refs, from: report.path, missing: Math.max(0, c.totals.failed - refs.length) };
  }
  const note = report ? `its report ${report.path} is gone` : "it wrote no --report";
  return { refs: c.failures, from: `${path}: ${note}`, missing: Math.max(0, c.totals.failed - c.failures.length) };
}

/** The retry's report, beside its original's: inv.csv → inv.retry-1a2b3c4d.csv. */
const retryReportPath = (original: string, jobId: string): string => {
  const ext = extname(original);
  return join(dirname(original), `${basename(original, ext)}.retry-${jobId.slice(0, 8)}${ext}`);
};

async function retryLocal(path: string, f: RetryFlags, globals: GlobalOptions): Promise<number> {
  const output = globals.output ?? "json";
  const old = readCheckpoint(path, "retry");
  const id = old.spec.id;
  if (old.work.cursor !== undefined) throw usageError(`retry ${path}: job ${id} is not finished: continue it first (oci-reencrypt ${old.command} --resume ${path}), then retry what failed`);
  if (old.retriedBy) throw usageError(`retry ${path}: job ${id} was retried already by job ${old.retriedBy.jobId}${old.retriedBy.checkpoint ? ` (${old.retriedBy.checkpoint})` : ""}: retry that one for what still fails`);
  if (old.totals.failed === 0) {
    printResult({ jobId: id, status: old.spec.dryRun ? "dry-run" : "succeeded", counts: old.totals, message: `job ${id} finished without failures: nothing to retry` }, output);
    return ExitCode.done;
  }
  const failures = localFailures(old, path);
  const maxUnits = old.spec.origin === "request" ? MAX_TARGETS : MAX_JOB_UNITS;
  let plan;
  try {
    plan = retrySpec(old.spec, failures.refs, { maxUnits });
  } catch (error) {
    throw usageError(`retry ${path}: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (plan.spec.units.length === 0) throw usageError(`retry ${path}: none of the ${old.totals.failed} failures of job ${id} is known (${failures.from}): nothing to retry`);
  const inline = inlineKeysFor(plan.spec, f);
  const where = resumeGlobals(old, path, globals, f.forceTarget === true);
  for (const n of where.notes) process.stderr.write(`oci-reencrypt: ${n}\n`);
  if (failures.missing > 0) process.stderr.write(`oci-reencrypt: warning: ${failures.missing} of job ${id}'s ${old.totals.failed} failures are not known (${failures.from}) and are not retried\n`);
  const services = await openServices(where.globals, { maxRps: f.maxRps });

  const newId = plan.spec.id;
  const checkpoint = resolve(f.checkpoint ?? `oci-reencrypt-${newId}.checkpoint.json`);
  // The old job names its retry before the retry starts: a second retry of it is refused from now.
  writeCheckpoint(path, { ...old, retriedBy: { jobId: newId, checkpoint }, updatedAt: new Date().toISOString() });
  const defaultReport = f.report === undefined && old.report ? { path: retryReportPath(old.report.path, newId), format: old.report.format } : undefined;
  const retried = { versions: plan.versions, targets: plan.units, ...(plan.widened > 0 ? { targetsWidened: plan.widened } : {}), ...(failures.missing > 0 ? { unknownFailures: failures.missing } : {}) };
  return runJobWithFlags(
    {
      command: old.command,
      spec: plan.spec,
      work: wholeJob(plan.spec),
      totals: zeroCounts(),
      failures: [],
      runs: 0,
      createdAt: new Date().toISOString(),
      ...(plan.units === 0 ? { estimatedTotal: plan.versions } : {}),
      retryOf: { jobId: id, checkpoint: resolve(path) },
    },
    { ...f, checkpoint },
    services,
    { inline, output, target: runTargetOf(where.globals, services), keepCheckpoint: true, defaultReport, extra: { retried } },
  );
}

async function retryRemote(jobId: string, f: RetryFlags, globals: GlobalOptions): Promise<number> {
  const local = ["checkpoint", "report", "reportFormat", "concurrency", "maxRps", "forceTarget"] as const;
  const given = local.filter((k) => f[k] !== undefined && f[k] !== false);
  if (given.length > 0) throw usageError(`retry ${jobId}: the function runs this retry; ${given.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(", ")} apply to a checkpoint file's retry only`);
  const body: Record<string, unknown> = { retry: jobId };
  if (f.encryptionKeyFile !== undefined) body["key"] = { type: "sse-c", base64Key: keyFileAsBase64(f.encryptionKeyFile, "--encryption-key-file") };
  if (f.sourceEncryptionKeyFile !== undefined) body["sourceKey"] = { base64Key: keyFileAsBase64(f.sourceEncryptionKeyFile, "--source-encryption-key-file") };
  const target = await openTarget(f, globals, { directOnly: false, what: "retry" });
  return sendAndFollow(target, body, f, globals, { what: `retry of job ${jobId}` });
}

export function retryCommand(): Command {
  const cmd = new Command("retry")
    .summary("a new job of what a finished job failed (its failed versions and scopes), linked to it")
    .description("Start a new job from a finished job's failures: a local job's checkpoint file (run here), or a job id of the deployed function ({\"retry\": jobId}).")
    .argument("<checkpoint-or-jobId>", "a finished job's checkpoint file, or the function's job id")
    .option("--encryption-key-file <file>", "the job's inline SSE-C target key again, when it had one")
    .option("--source-encryption-key-file <file>", "the job's inline SSE-C source key again, when it had one")
    .option("--no-follow", "with a job id: print the function's first answer and return");
  addJobOptions(cmd);
  addTargetOptions(cmd, { gateway: true });
  // addJobOptions and addFollowOptions both offer --progress and --progress-seconds: one of each.
  const follow = addFollowOptions(new Command());
  for (const o of follow.options) if (!cmd.options.some((x) => x.long === o.long)) cmd.addOption(o);
  return cmd.addHelpText("after", EXAMPLES).action(async function (this: Command, arg: string) {
    const f = this.opts<RetryFlags>();
    const globals = this.optsWithGlobals<GlobalOptions>();
    if (f.resume !== undefined) throw usageError("retry starts a new job; continue an unfinished retry with: oci-reencrypt run --resume <its checkpoint>");
    if (existsSync(arg)) {
      process.exitCode = await retryLocal(arg, f, globals);
      return;
    }
    if (/^[A-Za-z0-9-]{8,64}$/.test(arg) && !/\.json$/i.test(arg)) {
      process.exitCode = await retryRemote(arg, f, globals);
      return;
    }
    throw new CliError(`retry ${arg}: no such checkpoint file, and not a job id`, ExitCode.usage);
  });
}
