import { SingleBar } from "cli-progress";
import { Command, InvalidArgumentError, Option } from "commander";
import type { models } from "oci-objectstorage";
import { BucketNameSchema, NamespaceSchema } from "../contract/names.js";
import { OciCallError, toOciFailure } from "../oci/oci-failure.js";
import { withRetry } from "../oci/retry.js";
import { CliError, ExitCode, usageError } from "./cli-error.js";
import { rcLookup } from "./cli-rc.js";
import { openServices, requestIdOf, type GlobalOptions, type Services } from "./cli-services.js";
import { skeletonKind, takesJsonInput } from "./json-skeleton.js";
import { jsonInputFields, readJsonArg } from "./read-json-arg.js";
import { printResult } from "./render-output.js";
import { failedCallText } from "./service-error.js";

// `oci-reencrypt bucket reencrypt`: `oci os bucket reencrypt` (ReencryptBucket, a work request),
// with its parameters, aliases and waiting: --wait-for-state polls GetWorkRequest at 1, 2, 4 … s up
// to --wait-interval-seconds until one of the states or --max-wait-seconds (exit 2), as oci-cli's
// generated command with oci.wait_until does; a progress bar on a terminal meanwhile.

export const WORK_REQUEST_STATES = ["ACCEPTED", "IN_PROGRESS", "FAILED", "COMPLETED", "CANCELING", "CANCELED"] as const;
const TERMINAL = new Set(["COMPLETED", "FAILED", "CANCELED"]);

interface BucketFlags {
  namespaceName?: string | undefined;
  namespace?: string | undefined;
  bucketName?: string | undefined;
  isReencryptBucketKeyOnly?: boolean | undefined;
  waitForState?: string[] | undefined;
  maxWaitSeconds?: number | undefined;
  waitIntervalSeconds?: number | undefined;
  fromJson?: string | undefined;
}

/** click.BOOL's spellings. */
export function clickBool(v: string): boolean {
  const s = v.trim().toLowerCase();
  if (["1", "true", "t", "yes", "y", "on"].includes(s)) return true;
  if (["0", "false", "f", "no", "n", "off"].includes(s)) return false;
  throw new InvalidArgumentError(`"${v}" is not a valid boolean (true or false).`);
}

const wholeNumber = (v: string): number => {
  if (!/^-?\d+$/.test(v.trim())) throw new InvalidArgumentError(`"${v}" is not a valid integer.`);
  return Number(v);
};

const state = (v: string, prev: string[] | undefined): string[] => {
  const s = v.toUpperCase();
  if (!(WORK_REQUEST_STATES as readonly string[]).includes(s)) throw new InvalidArgumentError(`"${v}" is not one of ${WORK_REQUEST_STATES.join(", ")} (any case).`);
  return [...(prev ?? []), s];
};

const JSON_NAMES: ReadonlyMap<string, string> = new Map([
  ...["namespace_name", "namespace", "ns"].map((n) => [n, "namespaceName"] as const),
  ...["bucket_name", "bn"].map((n) => [n, "bucketName"] as const),
  ["is_reencrypt_bucket_key_only", "isReencryptBucketKeyOnly"],
  ["wait_for_state", "waitForState"],
  ["max_wait_seconds", "maxWaitSeconds"],
  ["wait_interval_seconds", "waitIntervalSeconds"],
]);

const RC_NAMES: Readonly<Record<string, readonly string[]>> = {
  namespaceName: ["namespace-name", "namespace", "ns"],
  bucketName: ["bucket-name", "bn"],
  isReencryptBucketKeyOnly: ["is-reencrypt-bucket-key-only"],
  waitForState: ["wait-for-state"],
  maxWaitSeconds: ["max-wait-seconds"],
  waitIntervalSeconds: ["wait-interval-seconds"],
};

interface BucketParams {
  namespace: string | undefined;
  bucket: string;
  keyOnly: boolean | undefined;
  states: string[];
  maxWaitSeconds: number;
  intervalSeconds: number;
}

/** A --from-json or oci_cli_rc value through the same parser as its flag; errors name where it came from. */
function parsed<T>(where: string, value: unknown, parse: (v: string) => T): T {
  try {
    return parse(typeof value === "string" ? value : JSON.stringify(value));
  } catch (error) {
    throw usageError(`${where}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

/** Flags over --from-json over oci_cli_rc, each checked before anything is called. */
function bucketParams(f: BucketFlags): BucketParams {
  if (f.namespaceName !== undefined && f.namespace !== undefined && f.namespaceName !== f.namespace) throw usageError("--namespace-name and --namespace are the same option: give one");
  const p = new Map<string, unknown>();
  if (f.fromJson !== undefined) {
    const json = readJsonArg(f.fromJson, "--from-json");
    if (typeof json !== "object" || json === null || Array.isArray(json)) throw usageError("--from-json: must be a JSON object with the fields of `oci-reencrypt bucket reencrypt --generate-full-command-json-input`");
    for (const [k, v] of jsonInputFields(json as Record<string, unknown>, JSON_NAMES)) p.set(k, v);
  }
  const flag = (k: string, v: unknown): void => void (v !== undefined && p.set(k, v));
  flag("namespaceName", f.namespaceName ?? f.namespace);
  flag("bucketName", f.bucketName);
  flag("isReencryptBucketKeyOnly", f.isReencryptBucketKeyOnly);
  flag("waitForState", f.waitForState);
  flag("maxWaitSeconds", f.maxWaitSeconds);
  flag("waitIntervalSeconds", f.waitIntervalSeconds);
  const rc = rcLookup(["os", "bucket", "reencrypt"]);
  for (const [k, names] of Object.entries(RC_NAMES)) {
    if (p.has(k)) continue;
    const v = rc(names);
    // A multiple option's default is one value a line, as oci-cli splits it.
    if (v !== undefined) p.set(k, k === "waitForState" ? v.split("\n").map((s) => s.trim()).filter(Boolean) : v);
  }

  const bucket = p.get("bucketName");
  if (bucket === undefined) throw usageError("missing required option --bucket-name (-bn), or bucketName in --from-json");
  if (typeof bucket !== "string" || !BucketNameSchema.safeParse(bucket).success) throw usageError(`--bucket-name ${String(bucket)}: not a bucket name (letters, digits, - _ . up to 256)`);
  const namespace = p.get("namespaceName");
  if (namespace !== undefined && (typeof namespace !== "string" || !NamespaceSchema.safeParse(namespace).success)) throw usageError(`--namespace-name ${String(namespace)}: not an Object Storage namespace`);
  const ko = p.get("isReencryptBucketKeyOnly");
  const keyOnly = ko === undefined || typeof ko === "boolean" ? ko : parsed("--is-reencrypt-bucket-key-only", ko, clickBool);
  const rawStates = p.get("waitForState");
  const states = rawStates === undefined ? [] : (Array.isArray(rawStates) ? rawStates : [rawStates]).reduce<string[]>((acc, s) => parsed("--wait-for-state", s, (v) => state(v, acc)), []);
  const seconds = (k: string, flagName: string, dflt: number): number => {
    const n = p.has(k) ? parsed(flagName, p.get(k), wholeNumber) : dflt;
    if (n <= 0) throw usageError(`${flagName}: must be a positive number of seconds`);
    return n;
  };
  return { namespace, bucket, keyOnly, states, maxWaitSeconds: seconds("maxWaitSeconds", "--max-wait-seconds", 1200), intervalSeconds: seconds("waitIntervalSeconds", "--wait-interval-seconds", 30) };
}

/** Free-form maps of the models: their keys are data, which oci's to_dict leaves as they are. */
const FREE_FORM = new Set(["metadata", "freeformTags", "definedTags", "systemTags"]);

/** An SDK model as oci-cli's to_dict renders it: the model's attribute names in kebab-case, dates as ISO 8601. */
export function toCliDict(v: unknown, freeForm = false): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => toCliDict(x));
  if (typeof v === "object" && v !== null) {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [freeForm ? k : k.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`), toCliDict(x, !freeForm && FREE_FORM.has(k))]));
  }
  return v;
}

/** Python's repr of a tuple of strings, as oci-cli's waiting line shows the states. */
const tuple = (xs: readonly string[]): string => `(${xs.map((x) => `'${x}'`).join(", ")}${xs.length === 1 ? "," : ""})`;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A bar on a terminal while waiting (stderr); nothing otherwise, as `oci` prints nothing while it waits. */
function waitBar(id: string): { update(w: models.WorkRequest): void; stop(): void } {
  if (!process.stderr.isTTY) return { update: () => undefined, stop: () => undefined };
  const bar = new SingleBar({ stream: process.stderr, hideCursor: true, barsize: 30, barCompleteChar: "█", barIncompleteChar: "░", format: `{bar} {percentage}% | {status} | work request ${id}` });
  let started = false;
  return {
    update: (w) => {
      const pct = Math.round(w.percentComplete ?? 0);
      if (!started) {
        bar.start(100, pct, { status: w.status });
        started = true;
      } else bar.update(pct, { status: w.status });
    },
    stop: () => {
      if (started) bar.stop();
    },
  };
}

type WaitOutcome = { reached: models.WorkRequest } | { timedOut: true } | { ended: models.WorkRequest };

/** Polls the work request at 1, 2, 4 … s (at most `intervalSeconds` apart) until a state is reached or the time is up. */
async function waitFor(services: Services, id: string, p: BucketParams): Promise<WaitOutcome> {
  const bar = waitBar(id);
  const started = Date.now();
  let sleepSeconds = 1;
  try {
    for (;;) {
      const w = (await withRetry("GetWorkRequest", () => services.objectStorage.getWorkRequest({ workRequestId: id }))).workRequest;
      bar.update(w);
      if (p.states.includes(String(w.status))) return { reached: w };
      // Stricter than oci: a work request that ended in another state can never reach these.
      if (TERMINAL.has(String(w.status))) return { ended: w };
      const elapsed = (Date.now() - started) / 1000;
      if (elapsed + sleepSeconds > p.maxWaitSeconds && p.maxWaitSeconds <= elapsed) return { timedOut: true };
      await sleep(sleepSeconds * 1000);
      sleepSeconds = Math.min(sleepSeconds * 2, p.intervalSeconds);
    }
  } finally {
    bar.stop();
  }
}

const failure = (error: unknown) => (error instanceof OciCallError ? error.failure : toOciFailure(error));

/** A failed call as `oci` prints it; the hint is for the operator. */
function callFailed(error: unknown, operation: string, endpoint: string, hint: string, clientRequestId: string): CliError {
  const f = failure(error);
  process.stderr.write(failedCallText({ ...f, operation, requestEndpoint: endpoint, hint, clientRequestId }));
  return new CliError("", ExitCode.failures);
}

const HINT_REENCRYPT =
  "ReencryptBucket needs the bucket to have a Vault key (kmsKeyId) that is enabled, a policy letting you (or your --auth principal) manage the bucket (BUCKET_UPDATE) and use the key, and Object Storage allowed to use the key (allow service objectstorage-<region> to use keys). For a bucket without a Vault key, re-encrypt its objects one by one: oci-reencrypt run -bn <bucket>.";
const HINT_WORK_REQUEST = "Reading the work request needs inspect on the bucket's compartment (read objectstorage work requests); the re-encryption itself goes on.";

const EXAMPLES = `
Starts ReencryptBucket (a work request re-wrapping every object version of the bucket under the
newest version of the bucket's Vault key) and prints {"opc-work-request-id": …}, like
\`oci os bucket reencrypt\`. With --wait-for-state it polls the work request (a progress bar on a
terminal) and prints it as {"data": …} when it reaches one of the states; exit 2 when
--max-wait-seconds passes first. --is-reencrypt-bucket-key-only true re-wraps only the SSE-KMS
Bucket Key's intermediate keys.

Examples:
  $ oci-reencrypt bucket reencrypt -bn invoices
  $ oci-reencrypt bucket reencrypt --bucket-name invoices --wait-for-state COMPLETED --wait-for-state FAILED --query data.status --raw-output
  $ oci-reencrypt bucket reencrypt -ns myns -bn logs --is-reencrypt-bucket-key-only true --wait-for-state COMPLETED --max-wait-seconds 3600`;

function reencryptCommand(): Command {
  const cmd = new Command("reencrypt")
    .summary("ReencryptBucket as `oci os bucket reencrypt`: start it, and wait for its work request")
    .description("Re-encrypt every object version of a bucket with the newest version of the bucket's Vault key, as an Object Storage work request (`oci os bucket reencrypt`, same parameters).")
    .option("--namespace-name <namespace>", "Object Storage namespace (-ns; looked up with GetNamespace when omitted)")
    .option("--namespace <namespace>", "alias of --namespace-name")
    .option("--bucket-name <bucket>", "bucket name (-bn)")
    .addOption(skeletonKind(new Option("--is-reencrypt-bucket-key-only <bool>", "true: re-wrap only the SSE-KMS Bucket Key's intermediate keys").argParser(clickBool), "bool"))
    .addOption(skeletonKind(new Option("--wait-for-state <state>", "wait until the work request reaches this state (repeat for several; any case)").choices(WORK_REQUEST_STATES).argParser(state), "multiple"))
    .addOption(skeletonKind(new Option("--max-wait-seconds <seconds>", "how long to wait at most (default 1200)").argParser(wholeNumber), "int"))
    .addOption(skeletonKind(new Option("--wait-interval-seconds <seconds>", "the longest pause between two reads of the work request (default 30)").argParser(wholeNumber), "int"))
    .option("--from-json <json>", "the parameters as JSON (inline or file://path), with the OCI CLI's field names (see --generate-full-command-json-input)")
    .addHelpText("after", EXAMPLES)
    .action(async function (this: Command) {
      const globals = this.optsWithGlobals<GlobalOptions>();
      const p = bucketParams(this.opts<BucketFlags>());
      const services = await openServices(globals);
      let namespace = p.namespace;
      if (namespace === undefined) {
        try {
          namespace = await services.store.getNamespace();
        } catch (error) {
          throw new CliError('Unable to retrieve namespace internally. Please provide the namespace using the option "--namespace-name".', ExitCode.failures, { cause: error });
        }
      }
      const endpoint = `POST ${services.objectStorage.endpoint}/n/${encodeURIComponent(namespace)}/b/${encodeURIComponent(p.bucket)}/actions/reencrypt`;
      let id: string;
      try {
        id = (await services.store.reencryptBucket(namespace, p.bucket, { bucketKeyOnly: p.keyOnly })).workRequestId;
      } catch (error) {
        throw callFailed(error, "reencrypt_bucket", endpoint + (p.keyOnly !== undefined ? `?isReencryptBucketKeyOnly=${p.keyOnly}` : ""), HINT_REENCRYPT, requestIdOf(globals));
      }
      const output = globals.output ?? "json";
      const started = { "opc-work-request-id": id };
      if (p.states.length === 0) return printResult(started, output);
      process.stderr.write(`Action completed. Waiting until the work request has entered state: ${tuple(p.states)}\n`);
      let outcome: WaitOutcome;
      try {
        outcome = await waitFor(services, id, p);
      } catch (error) {
        process.stderr.write("Encountered error while waiting for work request to enter the specified state. Outputting last known resource state\n");
        printResult(started, output);
        throw callFailed(error, "get_work_request", `GET ${services.objectStorage.endpoint}/workRequests/${encodeURIComponent(id)}`, HINT_WORK_REQUEST, requestIdOf(globals));
      }
      if ("timedOut" in outcome) {
        process.stderr.write("Failed to wait until the work request entered the specified state. Outputting last known resource state\n");
        printResult(started, output);
        return void (process.exitCode = ExitCode.usage);
      }
      const w = "reached" in outcome ? outcome.reached : outcome.ended;
      printResult({ data: toCliDict(w) }, output);
      if ("ended" in outcome) {
        process.stderr.write(`oci-reencrypt: the work request ended ${String(w.status)}, which is none of ${p.states.join(", ")}: it cannot change any more\n`);
        process.exitCode = ExitCode.failures;
      }
    });
  return takesJsonInput(cmd);
}

export function bucketCommand(): Command {
  return new Command("bucket")
    .summary("bucket operations: reencrypt (`oci os bucket reencrypt`)")
    .description("Bucket-wide operations, as `oci os bucket …`.")
    .addCommand(reencryptCommand());
}
