import * as fdk from "@fnproject/fdk";
import { CALLER_HEADER, callerOf } from "./access/caller-jobs.js";
import { buildRuntime } from "./invocation/build-runtime.js";
import { handle } from "./invocation/handle.js";
import { createLogger, routeConsole, type Logger } from "./log.js";
import { logSdkThroughOnFirstUse } from "./oci/clients.js";

// The FDK edge only. Configuration is read once per container from process.env (never from
// ctx.config, which is a copy of the whole environment including the resource principal's key).
const bootLevel = (process.env["REENCRYPT_LOG_LEVEL"] as "info" | undefined) ?? "info";
const bootLog = createLogger(bootLevel);
// Every line this process prints is one JSON object: the console (the FDK, the OCI SDK's retrier)
// and oci-common's LOG.logger go through the configured logger once there is one.
let log: Logger = bootLog;
routeConsole(() => log);
logSdkThroughOnFirstUse(() => log, bootLevel);
const runtime = buildRuntime(process.env, bootLog);
void runtime.then((rt) => {
  if (!(rt instanceof Error)) log = rt.log;
});

fdk.handle(
  async (input, ctx) => {
    const rt = await runtime;
    // Fn-Http-Request-Url marks a call through an HTTP gateway: a caller, who may send less (contract §7).
    const g = ctx.httpGateway;
    // An empty URL is still a gateway call: only a missing header means a direct invocation.
    // The caller's subject comes only from the header the deployment sets (overwriting the client's).
    const gateway = g.requestURL !== null && g.requestURL !== undefined ? { method: g.method ?? "", url: g.requestURL, caller: callerOf(g.getHeader(CALLER_HEADER)) } : undefined;
    const answer = await handle(
      typeof input === "string" ? input : String(input ?? ""),
      { callId: ctx.callID, deadline: ctx.deadline, gateway },
      rt,
      rt instanceof Error ? bootLog : rt.log,
    );
    ctx.httpGateway.statusCode = answer.status;
    ctx.responseContentType = "application/json";
    return answer.body;
  },
  { inputMode: "string" },
);
