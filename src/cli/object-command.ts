import { Command, Option } from "commander";
import { jobFromRequest } from "../jobs/from-request.js";
import { wholeJob, zeroCounts } from "../model/job.js";
import type { ObjectStore } from "../oci/object-store.js";
import { CliError, ExitCode } from "./cli-error.js";
import { rcLookup } from "./cli-rc.js";
import { openServices, requestIdOf, type GlobalOptions } from "./cli-services.js";
import { skeletonKind, takesJsonInput } from "./json-skeleton.js";
import { parseObjectRequest, type ObjectFlags } from "./object-request.js";
import { createProgress } from "./progress-display.js";
import { printResult } from "./render-output.js";
import { runLocalJob } from "./run-local-job.js";
import { failedCallText } from "./service-error.js";

const EXAMPLES = `
Prints nothing on success, like \`oci os object reencrypt\` (exit 0); with --output json|table, the
opc-request-id of the ReencryptObject call. A failure prints the service error as \`oci\` does
(ServiceError:, or RequestException: when no answer came) with what to do, on stderr (exit 1). The
namespace is looked up (GetNamespace) when not given. Key files may be - (standard input).

Examples:
  # the bucket's key (its newest version)
  $ oci-reencrypt object --bucket-name invoices --name "2024/Q1 report.pdf"
  # one version, under a Vault key
  $ oci-reencrypt object -bn invoices -on 2024/a.pdf --version-id "$VID" --kms-key-id ocid1.key.oc1..aaaa
  # SSE-C to SSE-C: key files hold the base64 of 32 bytes (openssl rand -base64 32 > new.key)
  $ oci-reencrypt object -ns myns -bn b -on a.bin --source-encryption-key-file old.key --encryption-key-file new.key
  # the key from a secret store, on standard input
  $ vault-read new-key | oci-reencrypt object -bn b -on a.bin --encryption-key-file -
  # the OCI CLI's JSON input (inline, or file://; camelCase, kebab-case or snake_case keys), flags win
  $ oci-reencrypt object --generate-full-command-json-input > reencrypt.json
  $ oci-reencrypt object --from-json '{"bucketName":"b","objectName":"a","kmsKeyId":"ocid1.key.oc1..aaaa"}'
  $ oci-reencrypt object --from-json file://reencrypt.json --version-id "$VID"`;

/** The SDK's SSECustomerKeyDetails, for --generate-param-json-input (our --from-json also takes the API's key form). */
const SSE_C_KEY_EXAMPLE = { algorithm: "AES256", key: "string", keySha256: "string" };

export function objectCommand(): Command {
  const cmd = new Command("object")
    .summary("re-encrypt one object (version): `oci os object reencrypt`, same parameters")
    .description("Re-encrypt one object, or one version of it, through the function's engine. The parameters are `oci os object reencrypt`'s, with its names and aliases.")
    .option("--namespace-name <namespace>", "Object Storage namespace (-ns; looked up with GetNamespace when omitted)")
    .option("--namespace <namespace>", "alias of --namespace-name")
    .option("--bucket-name <bucket>", "bucket name (-bn)")
    .option("--object-name <name>", "object name (-on)")
    .option("--name <name>", "alias of --object-name")
    .option("--version-id <id>", "one version of the object (default: the latest)")
    .option("--kms-key-id <ocid>", "re-encrypt under this Vault key (default: the bucket's key)")
    .addOption(skeletonKind(new Option("--encryption-key-file <file>", "re-encrypt under this SSE-C key: a file holding the base64 of 32 bytes (- for standard input)"), "file"))
    .addOption(skeletonKind(new Option("--source-encryption-key-file <file>", "the object's SSE-C key now, when it is SSE-C encrypted (same format; - for standard input)"), "file"))
    .option("--from-json <json>", "the parameters as JSON (inline or file://path), with the OCI CLI's field names (see --generate-full-command-json-input)")
    .option("--dry-run", "check the object (version) exists; change nothing")
    .addHelpText("after", EXAMPLES)
    .action(async function (this: Command) {
      const flags = this.opts<ObjectFlags>();
      const globals = this.optsWithGlobals<GlobalOptions>();
      // Everything that can be wrong with the flags is said before anything is called.
      const req = parseObjectRequest(flags, { rc: rcLookup(["os", "object", "reencrypt"]) });
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
        const path = `/n/${encodeURIComponent(f.namespace)}/b/${encodeURIComponent(f.bucket)}/actions/reencrypt/${encodeURIComponent(f.object)}`;
        const query = f.versionId !== undefined ? `?versionId=${encodeURIComponent(f.versionId)}` : "";
        process.stderr.write(failedCallText({ ...f, operation: "reencrypt_object", clientRequestId: requestIdOf(globals), requestEndpoint: `POST ${services.objectStorage.endpoint}${path}${query}` }));
        return void (process.exitCode = ExitCode.failures);
      }
      if (spec.dryRun) printResult({ jobId: result.jobId, status: result.status, counts: result.counts, objects: result.objects ?? [] }, globals.output ?? "json");
      else if (globals.output !== undefined) printResult({ "opc-request-id": opcRequestId }, globals.output);
    });
  return takesJsonInput(cmd, { "sse-customer-key": SSE_C_KEY_EXAMPLE, "source-sse-customer-key": SSE_C_KEY_EXAMPLE });
}
