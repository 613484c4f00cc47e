import { Command, Option } from "commander";
import { MAX_TARGETS } from "../contract/request.js";
import { parseRequest } from "../entrances/http-request.js";
import { jobFromRequest } from "../jobs/from-request.js";
import { planRequestUnits } from "../jobs/plan-units.js";
import { planNotes } from "../jobs/run-invocation.js";
import { printResult } from "./render-output.js";
import { wholeJob, zeroCounts, type JobSpec } from "../model/job.js";
import type { ObjectStore } from "../oci/object-store.js";
import { CliError, ExitCode, usageError } from "./cli-error.js";
import { openServices, type GlobalOptions } from "./cli-services.js";
import { addJobOptions, collect, resumeFromFlags, runJobWithFlags, runTargetOf, type JobFlags } from "./job-options.js";
import { keyFileAsBase64 } from "./read-key-file.js";
import { readJsonArg } from "./read-json-arg.js";
import { requestRefused } from "./request-issues.js";

interface RunFlags extends JobFlags {
  bucketName?: string[] | undefined;
  namespaceName?: string | undefined;
  namespace?: string | undefined;
  prefix?: string | undefined;
  allVersions?: boolean | undefined;
  dryRun?: boolean | undefined;
  kmsKeyId?: string | undefined;
  targets?: string | undefined;
}

const EXAMPLES = `
Progress goes to stderr: a bar on a terminal, JSON lines otherwise. The answer (the job's status,
counts and first failures, with hints) goes to stdout. Ctrl-C stops cleanly: the calls in flight
finish, the checkpoint is written, and --resume continues with nothing skipped.
Exit codes: 0 done, 1 some versions failed, 2 bad flags or configuration, 130 interrupted.

Examples:
  # every version of every object in two buckets, with each bucket's key
  $ oci-reencrypt run --bucket-name logs --bucket-name archive --all-versions
  # what would be re-encrypted under a prefix, changing nothing
  $ oci-reencrypt run -bn invoices --prefix 2024/ --dry-run --output table
  # under a Vault key, with a CSV report, at most 50 requests per second
  $ oci-reencrypt run -bn invoices --kms-key-id ocid1.key.oc1..aaaa --report out.csv --max-rps 50
  # the function's request body (targets, key, sourceKey, allVersions, dryRun)
  $ oci-reencrypt run --targets request.json
  # after Ctrl-C: the same job from its checkpoint (inline keys: the same key files again)
  $ oci-reencrypt run --resume oci-reencrypt-<jobId>.checkpoint.json`;

const bodyFromFlags = (f: RunFlags): Record<string, unknown> => {
  const buckets = f.bucketName ?? [];
  if (buckets.length > MAX_TARGETS) throw usageError(`--bucket-name: at most ${MAX_TARGETS} buckets per job`);
  const namespace = f.namespaceName ?? f.namespace;
  return {
    targets: buckets.map((bucket) => ({ bucket, ...(f.prefix ? { prefix: f.prefix } : {}), ...(namespace !== undefined ? { namespace } : {}) })),
  };
};

/** The flags that choose the key and the options, over a body (from flags or --targets). */
function withKeyFlags(body: Record<string, unknown>, f: RunFlags, fromFile: boolean): Record<string, unknown> {
  const out = { ...body };
  const keyFlags = [f.kmsKeyId !== undefined, f.encryptionKeyFile !== undefined].filter(Boolean).length;
  if (keyFlags > 1) throw usageError("--kms-key-id and --encryption-key-file: give one target key");
  if (keyFlags > 0 && fromFile && "key" in body) throw usageError('--targets already has a "key": drop --kms-key-id / --encryption-key-file, or the body\'s key');
  if (f.sourceEncryptionKeyFile !== undefined && fromFile && "sourceKey" in body) throw usageError('--targets already has a "sourceKey": drop --source-encryption-key-file, or the body\'s sourceKey');
  if (f.kmsKeyId !== undefined) out["key"] = { type: "kms", kmsKeyId: f.kmsKeyId };
  if (f.encryptionKeyFile !== undefined) out["key"] = { type: "sse-c", base64Key: keyFileAsBase64(f.encryptionKeyFile, "--encryption-key-file") };
  if (f.sourceEncryptionKeyFile !== undefined) out["sourceKey"] = { base64Key: keyFileAsBase64(f.sourceEncryptionKeyFile, "--source-encryption-key-file") };
  if (f.allVersions) out["allVersions"] = true;
  if (f.dryRun) out["dryRun"] = true;
  return out;
}

/** An estimate of the versions a job covers, for the bar's ETA: whole buckets by their approximate count. */
export async function estimateVersions(store: ObjectStore, spec: JobSpec): Promise<number | undefined> {
  let total = 0;
  for (const u of spec.units) {
    if (u.scope.kind === "object") total += 1;
    else if (u.scope.prefix !== "") return undefined;
    else {
      const b = await store.getBucket(u.namespace, u.bucket, { approximateCount: true }).catch(() => undefined);
      if (b?.approximateCount === undefined) return undefined;
      total += b.approximateCount;
    }
  }
  return total;
}

export function runCommand(): Command {
  const cmd = new Command("run")
    .summary("re-encrypt buckets, prefixes or a request body here, with progress, Ctrl-C and --resume")
    .description("Re-encrypt every object (or every version) of buckets or prefixes, or the targets of a request body, with the function's engine in this process.")
    .addOption(new Option("--bucket-name <bucket>", "a bucket to re-encrypt (-bn; repeat for several)").argParser(collect))
    .option("--namespace-name <namespace>", "Object Storage namespace (-ns; default: GetNamespace)")
    .option("--namespace <namespace>", "alias of --namespace-name")
    .option("--prefix <prefix>", "only objects whose names start with this")
    .option("--all-versions", "every version of every object, not only the latest")
    .option("--dry-run", "list what would be re-encrypted; change nothing")
    .option("--kms-key-id <ocid>", "re-encrypt under this Vault key (default: each bucket's key)")
    .option("--encryption-key-file <file>", "re-encrypt under this SSE-C key (a file holding the base64 of 32 bytes)")
    .option("--source-encryption-key-file <file>", "the objects' SSE-C key now, for SSE-C encrypted objects")
    .option("--targets <file>", "the function's request body (JSON, a path or file://path) instead of --bucket-name/--prefix");
  return addJobOptions(cmd)
    .addHelpText("after", EXAMPLES)
    .action(async function (this: Command) {
      const f = this.opts<RunFlags>();
      const globals = this.optsWithGlobals<GlobalOptions>();
      const output = globals.output ?? "json";
      if (f.resume !== undefined) {
        const given = (["bucketName", "targets", "prefix", "allVersions", "dryRun", "kmsKeyId", "namespaceName", "namespace", "checkpoint"] as const).filter((k) => f[k] !== undefined);
        if (given.length > 0) throw usageError(`--resume continues the checkpoint's job as it was: drop ${given.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(", ")}`);
        process.exitCode = await resumeFromFlags({ ...f, resume: f.resume }, globals, output);
        return;
      }
      if (f.forceTarget) throw usageError("--force-target goes with --resume");
      const fromFile = f.targets !== undefined;
      if (fromFile && (f.bucketName !== undefined || f.prefix !== undefined)) throw usageError("--targets or --bucket-name/--prefix: the body names its own targets");
      if (!fromFile && f.bucketName === undefined) throw usageError("missing required option --bucket-name (or --targets FILE, or --resume CHECKPOINT)");
      let body: Record<string, unknown>;
      if (fromFile) {
        const json = readJsonArg(f.targets as string, "--targets", { barePath: true });
        if (typeof json !== "object" || json === null || Array.isArray(json)) throw usageError('--targets: must be a request body: {"targets":[…], "key":…, …}');
        body = json as Record<string, unknown>;
      } else {
        body = bodyFromFlags(f);
      }
      body = withKeyFlags(body, f, fromFile);
      let req;
      try {
        req = parseRequest(body);
      } catch (error) {
        throw requestRefused(error, !fromFile);
      }
      const services = await openServices(globals, { maxRps: f.maxRps });
      let namespace = "";
      if (req.targets.some((t) => t.namespace === undefined)) {
        namespace = await services.store.getNamespace().catch((error: unknown) => {
          throw new CliError('Unable to retrieve namespace internally. Please provide the namespace using the option "--namespace-name".', ExitCode.failures, { cause: error });
        });
      }
      const built = jobFromRequest(req, namespace);
      const { inline } = built;
      // The same key precedence as the function (contract §11), with REENCRYPT_RULES from the environment.
      const spec = await planRequestUnits(built.spec, services.store, services.config.rules, services.log);
      if (spec.units.length === 0) {
        printResult({ jobId: spec.id, status: spec.dryRun ? "dry-run" : "skipped", counts: zeroCounts(), failures: [], ...planNotes(spec), message: "every scope named is governed by another key (see leftAlone): nothing to re-encrypt" }, output);
        return;
      }
      const estimatedTotal = await estimateVersions(services.store, spec);
      process.exitCode = await runJobWithFlags(
        { command: "run", spec, work: wholeJob(spec), totals: zeroCounts(), failures: [], runs: 0, createdAt: new Date().toISOString(), ...(estimatedTotal !== undefined ? { estimatedTotal } : {}) },
        f,
        services,
        { inline, output, target: runTargetOf(globals, services) },
      );
    });
}
