import { Command, Option } from "commander";
import { parseRequest } from "../entrances/http-request.js";
import { jobFromRequest } from "../jobs/from-request.js";
import { createCliPrincipal } from "./cli-principal.js";
import { clientParams } from "../oci/clients.js";
import { CliError, ExitCode, usageError } from "./cli-error.js";
import { cliConfig, cliHttpOptions, cliLogger, openServices, type GlobalOptions } from "./cli-services.js";
import { gatewayTarget, invokeTarget, type FunctionAnswer, type FunctionTarget, type TargetFlags } from "./function-target.js";
import { positiveArg } from "./job-options.js";
import { createProgress, PROGRESS_MODES, resolveProgressMode, type ProgressDisplay, type ProgressMode, type ProgressSample } from "./progress-display.js";
import { readJsonArg } from "./read-json-arg.js";
import { printResult } from "./render-output.js";
import { estimateVersions } from "./run-command.js";
import { escapeControls } from "./terminal-text.js";

export interface FollowFlags extends TargetFlags {
  follow?: boolean;
  wait?: boolean;
  pollSeconds?: number;
  progress?: ProgressMode;
  progressSeconds?: number;
  body?: string;
}

export function addTargetOptions(cmd: Command, o: { gateway: boolean }): Command {
  cmd.addOption(new Option("--function-id <ocid>", "the deployed function (InvokeFunction; its invoke endpoint from GetFunction)").env("REENCRYPT_FUNCTION_ID"));
  if (o.gateway) {
    cmd.addOption(new Option("--gateway-url <url>", "instead: the API Gateway route, e.g. https://…/reencrypt (POST, GET …/jobs/<id>)").env("REENCRYPT_GATEWAY_URL"));
    cmd.addOption(new Option("--token <token>", "bearer token for --gateway-url (sent over https only, or to a loopback address)").env("REENCRYPT_TOKEN"));
    cmd.option("--insecure", "send --token to a plain http:// gateway URL that is not a loopback address");
  }
  return cmd;
}

export function addFollowOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--poll-seconds <s>", "how often the job record is read while the job runs").argParser(positiveArg).default(2))
    .addOption(new Option("--progress <mode>", "auto: a bar on a terminal, JSON lines otherwise").choices(PROGRESS_MODES).default("auto"))
    .addOption(new Option("--progress-seconds <s>", "interval of the JSON progress lines").argParser(positiveArg).default(5));
}

/** The function by OCID (direct: the operator's OCI credentials) or by gateway URL (a caller with a token). */
export async function openTarget(f: TargetFlags, globals: GlobalOptions, o: { directOnly: boolean; what: string }): Promise<FunctionTarget> {
  if (f.gatewayUrl !== undefined && f.functionId !== undefined && !o.directOnly) throw usageError("--function-id or --gateway-url: give one");
  if (f.gatewayUrl !== undefined && !o.directOnly) return gatewayTarget(f.gatewayUrl, f.token, { insecure: f.insecure });
  if (f.functionId === undefined) throw usageError(`missing --function-id (or REENCRYPT_FUNCTION_ID)${o.directOnly ? `: ${o.what} is for direct invocations only (the gateway refuses it)` : " or --gateway-url"}`);
  if (!/^ocid1\.fnfunc\./.test(f.functionId)) throw usageError(`--function-id ${f.functionId}: must be a function OCID (ocid1.fnfunc.…)`);
  const config = cliConfig(process.env);
  cliLogger(globals);
  const principal = await createCliPrincipal(globals, cliHttpOptions(globals));
  return invokeTarget(clientParams(principal), f.functionId, globals.endpoint ?? config.endpoints.functions);
}

/** An error body ({"error":{code,message}}) as the CLI's error: 400s are the caller's input (exit 2). */
export function checkAnswer(a: FunctionAnswer): Record<string, unknown> {
  const e = a.body["error"] as { code?: string; message?: string } | undefined;
  if (e && typeof e === "object") throw new CliError(`the function answered ${a.httpStatus === 200 ? "" : `${a.httpStatus} `}${e.code ?? "error"}: ${e.message ?? ""}`, a.httpStatus === 400 || e.code === "InvalidPayload" ? ExitCode.usage : ExitCode.failures);
  // A job's answer carries its own status (207, 404, 502 for failed objects); anything else non-2xx
  // came from before the function (the gateway's authentication, a missing route).
  if (a.httpStatus >= 400 && !("jobId" in a.body)) throw new CliError(`the gateway answered ${a.httpStatus}: ${typeof a.body["message"] === "string" ? a.body["message"] : JSON.stringify(a.body)}`, ExitCode.failures);
  return a.body;
}

const num = (v: unknown): number => (typeof v === "number" ? v : 0);

const UNFINISHED = new Set(["running", "incomplete", "continuing", "stalled"]);

/** A job record's (or answer's) counts as progress: its own rate, ETA and age; the total it estimates, else ours. */
function sampleOf(r: Record<string, unknown>, estimate: number | undefined): ProgressSample {
  const c = (r["counts"] ?? {}) as Record<string, unknown>;
  const shards = r["shards"] as { total?: number; done?: number } | undefined;
  const created = typeof r["createdAt"] === "string" ? Date.parse(r["createdAt"]) : NaN;
  const status = String(r["status"] ?? "");
  const rate = typeof r["rate"] === "number" && r["rate"] > 0 ? r["rate"] : undefined;
  return {
    done: num(c["matched"]) + num(c["skipped"]),
    reencrypted: num(c["reencrypted"]),
    failed: num(c["failed"]),
    skipped: num(c["skipped"]),
    total: typeof r["estimatedVersions"] === "number" ? r["estimatedVersions"] : estimate,
    rate,
    etaSeconds: typeof r["etaSeconds"] === "number" && rate !== undefined ? r["etaSeconds"] : undefined,
    ...(Number.isFinite(created) ? { elapsedSeconds: (Date.now() - created) / 1000 } : {}),
    status: `${status}${shards?.total ? `, shards ${shards.done ?? 0}/${shards.total}` : ""}`,
    finished: !UNFINISHED.has(status),
  };
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Reads the job record until the job is no longer running; the progress shows the record's counts, rate and ETA. */
async function followRecord(target: FunctionTarget, jobId: string, pollMs: number, progress: ProgressDisplay, estimate: number | undefined): Promise<Record<string, unknown>> {
  for (;;) {
    const r = checkAnswer(await target.status(jobId));
    progress.update(sampleOf(r, estimate));
    if (r["status"] !== "running") return r;
    await sleep(pollMs);
  }
}

export const exitOf = (r: Record<string, unknown>): number => {
  const counts = (r["counts"] ?? {}) as Record<string, unknown>;
  const status = r["status"];
  if (status === "partial" || status === "failed" || status === "stalled") return ExitCode.failures;
  return num(counts["failed"]) > 0 ? ExitCode.failures : ExitCode.done;
};

export function progressFor(f: FollowFlags, jobId: string, startDone?: number): ProgressDisplay {
  return createProgress(resolveProgressMode(f.progress ?? "auto", process.stderr), { jobId, intervalMs: (f.progressSeconds ?? 5) * 1000, ...(startDone !== undefined ? { startDone } : {}) });
}

const stalledNote = (r: Record<string, unknown>): void => {
  if (r["status"] === "stalled") process.stderr.write(`job ${escapeControls(String(r["jobId"]))} is stalled (no invocation holds its lease): the scheduled sweep resumes it, or run: oci-reencrypt sweep --function-id <ocid>\n`);
};

/**
 * An estimate of the versions a request names, for the bar's total: whole buckets by Object
 * Storage's approximate counts, read with the operator's own credentials (direct invocations
 * only: a gateway caller may have none). Never in the way: undefined after 5 s or on any error.
 */
async function estimateRequest(body: Record<string, unknown>, globals: GlobalOptions): Promise<number | undefined> {
  try {
    const req = parseRequest(body);
    if (!req.targets.every((t) => t.kind === "prefix" && t.prefix === "")) return undefined;
    const services = await openServices(globals);
    const namespace = req.targets.some((t) => t.namespace === undefined) ? await services.store.getNamespace() : "";
    const { spec } = jobFromRequest(req, namespace);
    return await Promise.race([estimateVersions(services.store, spec), sleep(5_000).then(() => undefined)]);
  } catch {
    return undefined;
  }
}

/**
 * Sends one body (a request, a retry) and follows its job to the end: a spinner with the elapsed
 * time while the synchronous call runs (up to 300 s in OCI), then a "continuing" job through its
 * record, an "incomplete" one by sending its resume token (with the body's inline keys, as the
 * contract asks). Prints the answer; returns the exit code.
 */
export async function sendAndFollow(target: FunctionTarget, body: Record<string, unknown>, f: FollowFlags, globals: GlobalOptions, o: { what: string; estimate?: Promise<number | undefined> }): Promise<number> {
  const progress = progressFor(f, "", 0);
  const via = target.direct ? "InvokeFunction" : "the gateway";
  const call = async (b: unknown, label: string): Promise<Record<string, unknown>> => {
    const stop = progress.waiting(label);
    try {
      return checkAnswer(await target.send(b));
    } finally {
      stop();
    }
  };
  let r: Record<string, unknown>;
  try {
    r = await call(body, `waiting for the function's answer to ${o.what} (${via}, synchronous)`);
  } catch (error) {
    progress.stop();
    throw error;
  }
  const jobId = String(r["jobId"] ?? "");
  progress.setJobId(jobId);
  const estimate = await (o.estimate ?? Promise.resolve(undefined));
  // Inline keys go with every resume, as the contract asks (the token holds only their keySha256).
  const keys = Object.fromEntries(Object.entries(body).filter(([k]) => k === "key" || k === "sourceKey"));
  while (f.follow !== false) {
    if (r["status"] === "continuing" && jobId) {
      progress.note(`job ${jobId} continues in detached invocations: following its record`);
      try {
        r = await followRecord(target, jobId, (f.pollSeconds ?? 2) * 1000, progress, estimate);
      } catch (error) {
        // Without a state bucket the function keeps no record: the job goes on, unseen.
        if (!(error instanceof CliError && /JobNotFound/.test(error.message))) throw error;
        progress.note(`job ${jobId} has no record to follow (the function has no REENCRYPT_STATE_BUCKET): it continues on its own`);
      }
      break;
    }
    if (r["status"] === "incomplete" && typeof r["resume"] === "string") {
      progress.update(sampleOf(r, estimate));
      r = await call({ resume: r["resume"], ...keys }, "resuming");
      continue;
    }
    break;
  }
  progress.stop(sampleOf(r, estimate));
  stalledNote(r);
  printResult(r, globals.output ?? "json");
  return exitOf(r);
}

const INVOKE_EXAMPLES = `
Sends a request body to the deployed function and follows the job: a job that continues in
detached invocations ("continuing") is followed through its record ({"job": id}, or GET
<gateway>/jobs/<id>) with a progress bar; an "incomplete" answer is resumed with its token.

Examples:
  $ oci-reencrypt invoke --function-id ocid1.fnfunc.oc1..aaaa --body '{"targets":[{"bucket":"logs","prefix":"2025/"}]}'
  $ oci-reencrypt invoke --gateway-url https://xyz.apigateway.eu-frankfurt-1.oci.customer-oci.com/reencrypt \\
      --token "$TOKEN" --body file://request.json --no-follow`;

export function invokeCommand(): Command {
  const cmd = new Command("invoke")
    .summary("send a request to the deployed function and follow its job")
    .description("Send a request body to the deployed function (InvokeFunction by OCID, or the API Gateway route with a token) and follow the job until it ends.")
    .requiredOption("--body <json>", "the request body: inline JSON, a path or file://path")
    .option("--no-follow", "print the first answer and return");
  addTargetOptions(cmd, { gateway: true });
  return addFollowOptions(cmd)
    .addHelpText("after", INVOKE_EXAMPLES)
    .action(async function (this: Command) {
      const f = this.opts<FollowFlags>();
      const globals = this.optsWithGlobals<GlobalOptions>();
      const body = readJsonArg(f.body as string, "--body", { barePath: true });
      if (typeof body !== "object" || body === null || Array.isArray(body)) throw usageError("--body: must be a JSON object (a request body)");
      const target = await openTarget(f, globals, { directOnly: false, what: "invoke" });
      const estimate = target.direct && f.follow !== false ? estimateRequest(body as Record<string, unknown>, globals) : undefined;
      process.exitCode = await sendAndFollow(target, body as Record<string, unknown>, f, globals, { what: "invoke", ...(estimate ? { estimate } : {}) });
    });
}

const STATUS_EXAMPLES = `
Shows the job's durable record (it needs the function's REENCRYPT_STATE_BUCKET). While the job runs,
a progress bar (or JSON lines) follows its counts, rate and ETA until it ends; --no-wait prints the
record as it is now. Exit 0 when the job ended without failures (or runs, with --no-wait), 1 otherwise.

Examples:
  $ oci-reencrypt status 3f0c…-job-id --function-id ocid1.fnfunc.oc1..aaaa
  $ oci-reencrypt status 3f0c…-job-id --gateway-url https://…/reencrypt --token "$TOKEN" --no-wait --output table`;

export function statusCommand(): Command {
  const cmd = new Command("status")
    .summary("a job's durable record, followed with a progress bar while it runs")
    .description("Read a job's record from the deployed function ({\"job\": id}, or GET <gateway>/jobs/<id>).")
    .argument("<jobId>", "the job id the function answered")
    .option("--no-wait", "print the record as it is now, even while the job runs");
  addTargetOptions(cmd, { gateway: true });
  return addFollowOptions(cmd)
    .addHelpText("after", STATUS_EXAMPLES)
    .action(async function (this: Command, jobId: string) {
      const f = this.opts<FollowFlags>();
      const globals = this.optsWithGlobals<GlobalOptions>();
      if (!/^[A-Za-z0-9-]{8,64}$/.test(jobId)) throw usageError(`<jobId> ${jobId}: not a job id`);
      const target = await openTarget(f, globals, { directOnly: false, what: "status" });
      let r: Record<string, unknown>;
      if (f.wait === false) {
        r = checkAnswer(await target.status(jobId));
      } else {
        const progress = progressFor(f, jobId);
        r = await followRecord(target, jobId, (f.pollSeconds ?? 2) * 1000, progress, undefined);
        progress.stop(sampleOf(r, undefined));
      }
      stalledNote(r);
      printResult(r, globals.output ?? "json");
      process.exitCode = r["status"] === "running" ? ExitCode.done : exitOf(r);
    });
}

export function sweepCommand(): Command {
  const cmd = new Command("sweep")
    .summary('resume every stalled job now ({"sweep": true}, what the schedule sends)')
    .description('Send {"sweep": true} to the deployed function by InvokeFunction: every job whose lease expired with work left is resumed in detached invocations.')
    .addHelpText("after", "\nExamples:\n  $ oci-reencrypt sweep --function-id ocid1.fnfunc.oc1..aaaa");
  return addTargetOptions(cmd, { gateway: false }).action(async function (this: Command) {
    const globals = this.optsWithGlobals<GlobalOptions>();
    const target = await openTarget(this.opts<TargetFlags>(), globals, { directOnly: true, what: "sweep" });
    printResult(checkAnswer(await target.send({ sweep: true })), globals.output ?? "json");
  });
}

export function diagnoseCommand(): Command {
  const cmd = new Command("diagnose")
    .summary('check the function\'s event rules, buckets and state bucket ({"diagnose": true})')
    .description('Send {"diagnose": true} to the deployed function by InvokeFunction: it checks, changing nothing, that its event rules exist, are enabled and reach it, and that the rules\' buckets emit object events. Exit 1 when it finds a problem.')
    .addHelpText("after", "\nExamples:\n  $ oci-reencrypt diagnose --function-id ocid1.fnfunc.oc1..aaaa --output table");
  return addTargetOptions(cmd, { gateway: false }).action(async function (this: Command) {
    const globals = this.optsWithGlobals<GlobalOptions>();
    const target = await openTarget(this.opts<TargetFlags>(), globals, { directOnly: true, what: "diagnose" });
    const answer = checkAnswer(await target.send({ diagnose: true }));
    const d = (answer["diagnose"] ?? answer) as Record<string, unknown>;
    printResult(d, globals.output ?? "json");
    process.exitCode = d["ok"] === false ? ExitCode.failures : ExitCode.done;
  });
}
