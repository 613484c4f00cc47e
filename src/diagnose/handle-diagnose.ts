import { z } from "zod";
import { lazySchema } from "../contract/lazy-schema.js";
import { zodToInvalidPayload } from "../contract/zod-issues.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Logger } from "../log.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import type { CallBudget, Runtime } from "../runtime/runtime.js";
import { Checklist, type DiagnoseReport } from "./checklist.js";
import { checkBasics } from "./check-basics.js";
import { checkBucketKey } from "./check-bucket-key.js";
import { checkObjectEventBuckets } from "./check-buckets.js";
import { checkEventRules } from "./check-event-rules.js";
import { checkKeyScopes } from "./check-key-scopes.js";
import { checkLifecycle } from "./check-lifecycle.js";
import { locateKeys } from "./check-keys.js";
import type { DiagnoseContext } from "./diagnose-context.js";
import { checkStateBucket } from "./check-state-bucket.js";
import { checkOperations } from "./check-operations.js";
import { checkDurability } from "./check-durability.js";

export const DiagnoseRequestSchema = lazySchema(() => z.strictObject({ diagnose: z.literal(true), sendTestMessage: z.literal(true).optional() }));

/** Finds the misconfigurations that make events silently do nothing, and the ones a deployment finds in production. Changes nothing. */
export async function handleDiagnose(body: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger): Promise<{ diagnose: DiagnoseReport }> {
  const parsed = DiagnoseRequestSchema.safeParse(body);
  if (!parsed.success) throw zodToInvalidPayload(parsed.error, "diagnose request");
  const started = Date.now();
  const budget: CallBudget = { notAfter: () => dl.hardStopAt, limiter: createRateLimiter(rt.config.maxRps) };
  const list = new Checklist();
  const store = rt.objectStore(budget);

  const compartments = rt.config.compartmentIds ?? (rt.compartmentId ? [rt.compartmentId] : []);
  const ctx: DiagnoseContext = { rt, dl, log, budget, store, list, compartments, started };
  checkBasics(ctx);
  await checkStateBucket(rt, dl, log, store, list);
  await checkDurability(ctx);
  const { keys, located } = await locateKeys(rt, budget, dl, compartments, list);
  const rules = await checkEventRules(ctx, keys, located);
  const buckets = await checkObjectEventBuckets(ctx, rules);
  await checkKeyScopes(ctx);
  await checkLifecycle(ctx, located);
  await checkBucketKey(ctx);
  await checkOperations(ctx, { sendTestMessage: parsed.data.sendTestMessage === true });

  log.info("diagnose", { problems: list.problems.length, warnings: list.warnings.length, unconfirmed: list.unconfirmed.length, rules: rules.length, buckets: buckets.length });
  return {
    diagnose: {
      ok: list.problems.length === 0,
      functionId: rt.functionId ?? null,
      compartments,
      rules,
      buckets,
      problems: list.problems,
      warnings: list.warnings,
      checklist: list.items,
      unconfirmed: list.unconfirmed,
    },
  };
}
