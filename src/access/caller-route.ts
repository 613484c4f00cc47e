import { ErrorCode, ReencryptError } from "../errors.js";

/** What arrived through the HTTP gateway: its method and the URL the client asked for. */
export interface GatewayRequest {
  method: string;
  url: string;
  /** The caller's subject the deployment put in CALLER_HEADER, if any (caller-jobs.ts). */
  caller?: string | undefined;
}

export type CallerRoute = { kind: "post" } | { kind: "status"; jobId: string };

const JOB_ID = /^[A-Za-z0-9-]{8,64}$/;

/**
 * The two routes a caller has (contract §7): POST /reencrypt and GET /reencrypt/jobs/{jobId}, at the
 * end of whatever path prefix the gateway deployment adds. Other methods 405, other paths 404.
 */
export function callerRoute(g: GatewayRequest): CallerRoute {
  let path: string;
  try {
    path = new URL(g.url, "http://gateway.invalid").pathname.replace(/\/+$/, "");
  } catch {
    throw new ReencryptError(ErrorCode.NotFound, 404, "no such route");
  }
  const method = g.method.toUpperCase();
  const jobs = /\/reencrypt\/jobs\/([^/]+)$/.exec(path);
  if (jobs) {
    if (method !== "GET") throw new ReencryptError(ErrorCode.MethodNotAllowed, 405, `${method} is not allowed here: GET /reencrypt/jobs/{jobId}`);
    let jobId: string;
    try {
      jobId = decodeURIComponent(jobs[1] as string);
    } catch {
      jobId = "";
    }
    if (!JOB_ID.test(jobId)) throw new ReencryptError(ErrorCode.JobNotFound, 404, "no such job");
    return { kind: "status", jobId };
  }
  if (path.endsWith("/reencrypt")) {
    if (method !== "POST") throw new ReencryptError(ErrorCode.MethodNotAllowed, 405, `${method} is not allowed here: POST /reencrypt`);
    return { kind: "post" };
  }
  throw new ReencryptError(ErrorCode.NotFound, 404, "no such route: POST /reencrypt or GET /reencrypt/jobs/{jobId}");
}
