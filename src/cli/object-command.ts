import { Command } from "commander";
import { jobFromRequest } from "../jobs/from-request.js";
import { wholeJob, zeroCounts } from "../model/job.js";
import type { ObjectStore } from "../oci/object-store.js";
import { CliError, ExitCode } from "./cli-error.js";
import { openServices, type GlobalOptions } from "./cli-services.js";
import { parseObjectRequest, type ObjectFlags } from "./object-request.js";
import { createProgress } from "./progress-display.js";
import { printResult } from "./render-output.js";
import { runLocalJob } from "./run-local-job.js";

const EXAMPLES = `
Prints nothing on success, like \`oci os object reencrypt\` (exit 0); with --output json|table, the
opc-request-id of the ReencryptObject call. A failure prints the service error and the function's
hint on stderr (exit 1). The namespace is looked up (GetNamespace) when not given.

Examples:
  # the bucket's key (its newest version)
  $ oci-reencrypt object --bucket-name invoices --name "2024/Q1 report.pdf"
  # one version, under a Vault key
  $ oci-reencrypt object -bn invoices -on 2024/a.pdf --version-id "$VID" --kms-key-id ocid1.key.oc1..aaaa
  # SSE-C to SSE-C: key files hold the base64 of 32 bytes (openssl rand -base64 32 > new.key)
  $ oci-reencrypt object -ns myns -bn b -on a.bin --source-encryption-key-file old.key --encryption-key-file new.key
  # the OCI CLI's JSON input (inline, or file://), flags win over its fields
  $ oci-reencrypt object --from-json '{"bucketName":"b","objectName":"a","kmsKeyId":"ocid1.key.oc1..aaaa"}'
  $ oci-reencrypt object --from-json file://reencrypt.json --version-id "$VID"`;

export function objectCommand(): Command {
  return new Command("object")
    .summary("re-encrypt one object (version): `oci os object reencrypt`, same parameters")
    .description("Re-encrypt one object, or one version of it, through the function's engine. The parameters are `oci os object reencrypt`'s, with its names and aliases.")
    .option("--namespace-name <namespace>", "Object Storage namespace (-ns; looked up with GetNamespace when omitted)")
    .option("--namespace <namespace>", "alias of --namespace-name")
    .option("--bucket-name <bucket>", "bucket name (-bn)")
    .option("--object-name <name>", "object name (-on)")
    .option("--name <name>", "alias of --object-name")
    .option("--version-id <id>", "one version of the object (default: the latest)")
    .option("--kms-key-id <ocid>", "re-encrypt under this Vault key (default: the bucket's key)")
    .option("--encryption-key-file <file>", "re-encrypt under this SSE-C key: a file holding the base64 of 32 bytes")
    .option("--source-encryption-key-file <file>", "the object's SSE-C key now, when it is SSE-C encrypted (same file format)")
    .option("--from-json <json>", "the parameters as JSON (inline or file://path), with the OCI CLI's field names")
    .option("--dry-run", "check the object (version) exists; change nothing")
    .addHelpText("after", EXAMPLES)
    .action(async function (this: Command) {
      const flags = this.opts<ObjectFlags>();
      const globals = this.optsWithGlobals<GlobalOptions>();
      // Everything that can be wrong with the flags is said before anything is called.
      const req = parseObjectRequest(flags);
      const services = await openServices(globals);
      let namespace = "";
      if (req.targets[0]?.namespace === undefined) {
        try {
          namespace = await services.store.getNamespace();
        } catch (error) {
          throw new CliError('Unable to retrieve namespace internally. Please provide the namespace using the option "--namespace-name".', ExitCode.failures, { cause: error });
        }
      }
      const { spec, inline } = jobFromRequest(req, namespace);
      let opcRequestId: string | undefined;
      const store: ObjectStore = {
        ...services.store,
        reencryptObject: async (r) => {
          const answer = await services.store.reencryptObject(r);
          opcRequestId = answer.opcRequestId;
          return answer;
        },
      };
      const result = await runLocalJob(
        { command: "object", spec, work: wholeJob(spec), totals: zeroCounts(), failures: [], runs: 0, createdAt: new Date().toISOString() },
        { store, secrets: services.secrets, log: services.log, inline, concurrency: 1, progress: createProgress("none", { jobId: spec.id, intervalMs: 0 }), handleSignals: false },
      );
      const f = result.failures[0];
      if (f) {
        const error = { status: f.status, code: f.code, message: f.message, "opc-request-id": f.opcRequestId, target: `${f.namespace}/${f.bucket}/${f.object}`, versionId: f.versionId, hint: f.hint };
        process.stderr.write(`ServiceError:\n${JSON.stringify(error, null, 4)}\n`);
        return void (process.exitCode = ExitCode.failures);
      }
      if (spec.dryRun) printResult({ jobId: result.jobId, status: result.status, counts: result.counts, objects: result.objects ?? [] }, globals.output ?? "json");
      else if (globals.output !== undefined) printResult({ "opc-request-id": opcRequestId }, globals.output);
    });
}
