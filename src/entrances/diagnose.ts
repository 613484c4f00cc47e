import type { Deadlines } from "../deadline.js";
import type { Logger } from "../log.js";
import type { Runtime } from "../runtime.js";

export async function handleDiagnose(_body: Record<string, unknown>, _rt: Runtime, _dl: Deadlines, _log: Logger): Promise<Record<string, unknown>> {
  return { diagnose: "not available yet" };
}
