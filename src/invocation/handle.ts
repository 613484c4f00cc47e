import type { From } from "../access/caller-jobs.js";
import { callerRoute, type GatewayRequest } from "../access/caller-route.js";
import { httpStatusFor, type JobResponse } from "../contract/response.js";
import { handleEvent } from "../entrances/event.js";
import { handleRequest } from "../entrances/http-request.js";
import { handleResume } from "../entrances/resume.js";
import { handleStatus } from "../entrances/status.js";
import { entranceNotAllowed, ReencryptError, serviceError, toErrorBody, type ErrorBody } from "../errors.js";
import type { Logger } from "../log.js";
import { OciCallError } from "../oci/oci-failure.js";
import { classify, type Invocation } from "./classify.js";
import { deadlinesFor } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";

export interface InvocationContext {
  callId: string | null;
  deadline: Date | null;
  /** Set when the invocation came through an HTTP gateway (Fn-Http-Request-Url): a caller, contract §7. */
  gateway?: GatewayRequest | undefined;
}

export interface Answer {
  status: number;
  body: JobResponse | ErrorBody | Record<string, unknown>;
}

// The rarely sent entrances are evaluated on their first use (esbuild keeps them in func.cjs,
// behind an init function): a cold start runs neither their top-level code nor the schemas it
// builds (retry's request schema extends resume's, and so builds both with the key schemas).
const retryEntrance = () => import("../entrances/retry.js");
const sweepEntrance = () => import("../entrances/sweep.js");
const coverageEntrance = () => import("../entrances/coverage.js");
const diagnoseEntrance = () => import("../diagnose/handle-diagnose.js");

/** What a gateway caller may send (contract §7): a request, a resume or a retry of a request's job, a status query. */
const CALLER_KINDS = new Set<Invocation["kind"]>(["request", "resume", "retry", "status"]);

function invocationOf(raw: string, gateway: GatewayRequest | undefined): Invocation {
  if (!gateway) return classify(raw);
  const route = callerRoute(gateway);
  if (route.kind === "status") return { kind: "status", body: { job: route.jobId } };
  const inv = classify(raw);
  if (!CALLER_KINDS.has(inv.kind)) throw entranceNotAllowed(`a gateway caller may send a request, a resume, a retry or a job status query, not ${inv.kind === "event" ? "an event" : `a ${inv.kind} body`}; nothing was done`);
  return inv;
}

/**
 * body + context → entrance → job → engine → response. Never throws: the FDK would turn a throw
 * into a 502 carrying String(error) to the caller.
 */
export async function handle(raw: string, ctx: InvocationContext, runtime: Runtime | ReencryptError, baseLog: Logger): Promise<Answer> {
  const started = Date.now();
  const log = baseLog.child({ callId: ctx.callId });
  let kind: Invocation["kind"] | undefined;
  try {
    if (runtime instanceof ReencryptError) throw runtime;
    const dl = deadlinesFor(ctx.deadline, started);
    const inv = invocationOf(raw, ctx.gateway);
    kind = inv.kind;
    const caller = ctx.gateway !== undefined;
    const from: From = { gateway: caller, caller: ctx.gateway?.caller };
    let answer: Answer;
    switch (inv.kind) {
      case "request":
      case "resume":
      case "retry":
      case "event": {
        const response =
          inv.kind === "request"
            ? await handleRequest(inv.body, runtime, dl, log, from)
            : inv.kind === "resume"
              ? await handleResume(inv.body, runtime, dl, log, from)
              : inv.kind === "retry"
                ? await (await retryEntrance()).handleRetry(inv.body, runtime, dl, log, from)
                : await handleEvent(inv.body, runtime, dl, log);
        // A key retirement's answer is a verdict, not a job: always 200.
        answer = { status: "hazards" in response ? 200 : httpStatusFor(response), body: response };
        break;
      }
      case "coverage":
        answer = { status: 200, body: await (await coverageEntrance()).handleCoverage(inv.body, runtime, dl, log) };
        break;
      case "diagnose":
        answer = { status: 200, body: await (await diagnoseEntrance()).handleDiagnose(inv.body, runtime, dl, log) };
        break;
      case "status":
        answer = { status: 200, body: await handleStatus(inv.body, runtime, dl, log, from) };
        break;
      case "sweep":
        answer = { status: 200, body: { ...(await (await sweepEntrance()).handleSweep(inv.body, runtime, dl, log)) } };
        break;
    }
    const b = answer.body as Partial<JobResponse>;
    log.info("invocation done", { entrance: inv.kind, caller, status: answer.status, jobId: b.jobId, jobStatus: b.status, counts: b.counts, ms: Date.now() - started });
    return answer;
  } catch (caught) {
    // A service failure outside a job's own calls (a namespace lookup, a job record) is the
    // service's answer, said as such: not an internal error.
    const error = caught instanceof OciCallError ? serviceError(caught) : caught;
    const { status, body } = toErrorBody(error, ctx.callId);
    if (status >= 500) {
      log.error("invocation failed", { entrance: kind, code: body.error.code, error: describe(error) });
    } else {
      log.info("invocation rejected", { entrance: kind, status, code: body.error.code, message: body.error.message });
    }
    return { status, body };
  }
}

function describe(error: unknown): string {
  if (error instanceof ReencryptError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ""}`;
  return String(error);
}
