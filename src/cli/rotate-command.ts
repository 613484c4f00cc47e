import { Command, Option } from "commander";
import { KEY_VERSION_CREATED_EVENT } from "../contract/event-types.js";
import { KeyManagementRotationEventDataSchema } from "../contract/events.js";
import { CompartmentOcidSchema } from "../contract/ocid.js";
import { jobFromKeyRotation } from "../jobs/from-key-rotation.js";
import { wholeJob, zeroCounts, type Unit } from "../model/job.js";
import { bucketKeyReport } from "./bucket-key-check.js";
import { CliError, ExitCode, usageError } from "./cli-error.js";
import { cliConfig, openServices, type GlobalOptions } from "./cli-services.js";
import { addJobOptions, collect, resumeFromFlags, runJobWithFlags, runTargetOf, type JobFlags } from "./job-options.js";
import { readJsonArg } from "./read-json-arg.js";
import { escapeControls } from "./terminal-text.js";
import { printResult } from "./render-output.js";

interface RotateFlags extends JobFlags {
  keyId?: string | undefined;
  compartmentId?: string[] | undefined;
  vaultId?: string | undefined;
  keyVersionId?: string | undefined;
  rules?: string | undefined;
  dryRun?: boolean | undefined;
  waitSeconds?: number;
}

const EXAMPLES = `
The rotation job of the function's key rotation events, run here: Key Management confirms the key
is enabled (and, with --key-version-id, that it is the current version), then every version of
every object is re-encrypted in the buckets of the compartments whose key it is (with the bucket
key) and in the scopes of the rules naming it (with that key). REENCRYPT_ALLOWED_BUCKETS and
REENCRYPT_STATE_BUCKET are honoured as by the function.

Examples:
  # catch up after a rotation, before the function was deployed
  $ oci-reencrypt rotate --key-id ocid1.key.oc1..aaaa --compartment-id ocid1.compartment.oc1..bbbb
  # with the function's rules, the vault known, only listing
  $ oci-reencrypt rotate --key-id ocid1.key.oc1..aaaa --vault-id ocid1.vault.oc1..cccc \\
      --compartment-id ocid1.compartment.oc1..bbbb --rules rules.json --dry-run
  # continue after Ctrl-C
  $ oci-reencrypt rotate --resume oci-reencrypt-<jobId>.checkpoint.json`;

const describeUnit = (u: Unit): Record<string, unknown> => ({
  bucket: `${u.namespace}/${u.bucket}`,
  prefix: u.scope.kind === "prefix" ? u.scope.prefix : undefined,
  key: u.key.type === "kms" ? u.key.kmsKeyId : u.key.type === "bucket" ? "bucket key" : "sse-c",
  ...(u.scope.kind === "prefix" && u.scope.ranges ? { ranges: u.scope.ranges } : {}),
});

export function rotateCommand(): Command {
  const cmd = new Command("rotate")
    .summary("a key rotation's re-encryption run here (catch-up), with the function's discovery and rules")
    .description("Re-encrypt everything a Vault key wraps, as the function does on a key rotation event: the same discovery, rules and checks, run in this process.")
    .option("--key-id <ocid>", "the Vault key that was rotated")
    .addOption(new Option("--compartment-id <ocid>", "a compartment whose buckets are searched (repeat; default REENCRYPT_COMPARTMENT_IDS)").argParser(collect))
    .option("--vault-id <ocid>", "the key's vault (default: searched in the compartments' vaults)")
    .option("--key-version-id <ocid>", "wait until this is the key's current version before starting")
    .addOption(new Option("--wait-seconds <s>", "how long to wait for --key-version-id to become current").argParser(Number).default(60))
    .option("--rules <file>", "the function's rules (JSON array, a path or file://path; default REENCRYPT_RULES)")
    .option("--dry-run", "list what would be re-encrypted; change nothing");
  return addJobOptions(cmd)
    .addHelpText("after", EXAMPLES)
    .action(async function (this: Command) {
      const f = this.opts<RotateFlags>();
      const globals = this.optsWithGlobals<GlobalOptions>();
      const output = globals.output ?? "json";
      if (f.resume !== undefined) {
        const given = (["keyId", "compartmentId", "vaultId", "keyVersionId", "rules", "dryRun", "checkpoint"] as const).filter((k) => f[k] !== undefined);
        if (given.length > 0) throw usageError(`--resume continues the checkpoint's job as it was: drop ${given.map((k) => `--${k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`).join(", ")}`);
        process.exitCode = await resumeFromFlags({ ...f, resume: f.resume }, globals, output);
        return;
      }
      if (f.keyId === undefined) throw usageError("missing required option --key-id (or --resume CHECKPOINT)");
      const rules = f.rules === undefined ? undefined : JSON.stringify(readJsonArg(f.rules, "--rules", { barePath: true }));
      let config;
      try {
        config = cliConfig(process.env, rules === undefined ? {} : { REENCRYPT_RULES: rules });
      } catch (error) {
        throw error instanceof CliError && rules !== undefined ? usageError(error.message.replace(/^REENCRYPT_RULES/, `--rules ${f.rules}`)) : error;
      }
      const compartments = f.compartmentId ?? config.compartmentIds;
      if (!compartments || compartments.length === 0) throw usageError("missing --compartment-id (or REENCRYPT_COMPARTMENT_IDS): the compartments whose buckets and vaults are searched");
      for (const c of compartments) if (!CompartmentOcidSchema.safeParse(c).success) throw usageError(`--compartment-id ${c}: must be a compartment or tenancy OCID`);
      const data = KeyManagementRotationEventDataSchema.safeParse({
        compartmentId: compartments[0],
        resourceId: f.keyId,
        additionalDetails: { keyId: f.keyId, ...(f.vaultId ? { vaultId: f.vaultId } : {}), ...(f.keyVersionId ? { keyVersionId: f.keyVersionId } : {}) },
      });
      if (!data.success) {
        const flagOf: Record<string, string> = { resourceId: "--key-id", keyId: "--key-id", vaultId: "--vault-id", keyVersionId: "--key-version-id" };
        throw usageError(data.error.issues.map((i) => `${flagOf[String(i.path[i.path.length - 1])] ?? i.path.join(".")}: ${i.message}`).join("\n"));
      }
      const services = await openServices(globals, { maxRps: f.maxRps, env: rules === undefined ? {} : { REENCRYPT_RULES: rules } });
      const namespace = await services.store.getNamespace().catch((error: unknown) => {
        throw new CliError(`GetNamespace failed: ${error instanceof Error ? error.message : String(error)}`, ExitCode.failures, { cause: error });
      });
      let decision;
      try {
        decision = await jobFromKeyRotation(KEY_VERSION_CREATED_EVENT, data.data, {
          config: services.config,
          store: services.store,
          kms: services.keyManagement(),
          namespace,
          compartmentIds: compartments,
          log: services.log,
          waitUntil: Date.now() + (f.waitSeconds ?? 60) * 1000,
        });
      } catch (error) {
        throw new CliError(`the rotation could not be prepared: ${error instanceof Error ? error.message : String(error)}`, ExitCode.failures, { cause: error });
      }
      if ("skip" in decision) {
        printResult({ status: "skipped", message: decision.skip, ...(decision.key ? { key: decision.key } : {}) }, output);
        return;
      }
      if ("fail" in decision) {
        process.stderr.write(`oci-reencrypt: ${escapeControls(`${decision.code}: ${decision.fail}`)}\n`);
        return void (process.exitCode = ExitCode.failures);
      }
      const spec = f.dryRun ? { ...decision.spec, dryRun: true } : decision.spec;
      // A dry run also says which of the key's buckets have the SSE-KMS Bucket Key off.
      const bucketKey = f.dryRun ? await bucketKeyReport(services.store, spec.units, decision.key.id) : undefined;
      if (bucketKey?.note) process.stderr.write(`${bucketKey.note}\n`);
      process.exitCode = await runJobWithFlags(
        {
          command: "rotate",
          spec,
          work: wholeJob(spec),
          totals: zeroCounts(),
          failures: [],
          runs: 0,
          createdAt: new Date().toISOString(),
          ...(decision.estimatedVersions !== undefined ? { estimatedTotal: decision.estimatedVersions } : {}),
        },
        f,
        services,
        { inline: new Map(), output, target: runTargetOf(globals, services), extra: { key: { id: decision.key.id, currentKeyVersion: decision.key.currentKeyVersion }, units: spec.units.map(describeUnit), ...(bucketKey ? { bucketKey } : {}) } },
      );
    });
}
