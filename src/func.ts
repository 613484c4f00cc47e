import * as fdk from "@fnproject/fdk";
import { buildRuntime } from "./invocation/build-runtime.js";
import { handle } from "./invocation/handle.js";
import { createLogger } from "./log.js";

// The FDK edge only. Configuration is read once per container from process.env (never from
// ctx.config, which is a copy of the whole environment including the resource principal's key).
const bootLog = createLogger((process.env["REENCRYPT_LOG_LEVEL"] as "info" | undefined) ?? "info");
const runtime = buildRuntime(process.env, bootLog);

fdk.handle(
  async (input, ctx) => {
    const rt = await runtime;
    const answer = await handle(
      typeof input === "string" ? input : String(input ?? ""),
      { callId: ctx.callID, deadline: ctx.deadline },
      rt,
      rt instanceof Error ? bootLog : rt.log,
    );
    ctx.httpGateway.statusCode = answer.status;
    ctx.responseContentType = "application/json";
    return answer.body;
  },
  { inputMode: "string" },
);
