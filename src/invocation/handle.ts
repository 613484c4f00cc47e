import { classify } from "./classify.js";
import { httpStatusFor, type JobResponse } from "../contract/response.js";
import { deadlinesFor } from "./deadline.js";
import { handleRequest } from "../entrances/http-request.js";
import { handleResume } from "../entrances/resume.js";
import { handleEvent } from "../entrances/event.js";
import { handleDiagnose } from "../entrances/diagnose.js";
import { ReencryptError, toErrorBody, type ErrorBody } from "../errors.js";
import type { Logger } from "../log.js";
import type { Runtime } from "./runtime.js";

export interface InvocationContext {
  callId: string | null;
  deadline: Date | null;
}

export interface Answer {
  status: number;
  body: JobResponse | ErrorBody | Record<string, unknown>;
}

/**
 * body + context → classify → job → engine → response. Never throws: the FDK would turn a throw
 * into a 502 carrying String(error) to the caller.
 */
export async function handle(raw: string, ctx: InvocationContext, runtime: Runtime | ReencryptError, baseLog: Logger): Promise<Answer> {
  const started = Date.now();
  const log = baseLog.child({ callId: ctx.callId });
  try {
    if (runtime instanceof ReencryptError) throw runtime;
    const dl = deadlinesFor(ctx.deadline, started);
    const inv = classify(raw);
    let answer: Answer;
    switch (inv.kind) {
      case "request":
      case "resume": {
        const exec = await (inv.kind === "request" ? handleRequest : handleResume)(inv.body, runtime, dl, log);
        answer = { status: httpStatusFor(exec.response), body: exec.response };
        break;
      }
      case "event": {
        const response = await handleEvent(inv.body, runtime, dl, log);
        answer = { status: httpStatusFor(response), body: response };
        break;
      }
      case "diagnose":
        answer = { status: 200, body: await handleDiagnose(inv.body, runtime, dl, log) };
        break;
    }
    const b = answer.body as Partial<JobResponse>;
    log.info("invocation done", { entrance: inv.kind, status: answer.status, jobId: b.jobId, jobStatus: b.status, counts: b.counts, ms: Date.now() - started });
    return answer;
  } catch (error) {
    const { status, body } = toErrorBody(error, ctx.callId);
    if (status >= 500) {
      log.error("invocation failed", { code: body.error.code, error: describe(error) });
    } else {
      log.info("invocation rejected", { status, code: body.error.code, message: body.error.message });
    }
    return { status, body };
  }
}

function describe(error: unknown): string {
  if (error instanceof ReencryptError) return `${error.code}: ${error.message}`;
  if (error instanceof Error) return `${error.name}: ${error.message}\n${error.stack ?? ""}`;
  return String(error);
}
