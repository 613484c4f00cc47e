import { z } from "zod";
import { HANDLED_EVENT_TYPES, OBJECT_CREATED_EVENT } from "../contract/event-types.js";
import { zodToInvalidPayload } from "../contract/zod-issues.js";
import type { Deadlines } from "../invocation/deadline.js";
import { matchesBucketGlob } from "../glob.js";
import type { Logger } from "../log.js";
import type { RuleInfo } from "../oci/event-rules.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import { collectPages } from "../oci/paging.js";
import type { Runtime } from "../invocation/runtime.js";
import { namespaceOf } from "../invocation/namespace.js";

export const DiagnoseRequestSchema = z.strictObject({ diagnose: z.literal(true) });

export interface DiagnoseReport {
  ok: boolean;
  functionId: string | null;
  compartments: string[];
  rules: { id: string; displayName: string; isEnabled: boolean; actionEnabled: boolean; eventTypes: string[]; buckets: string[] }[];
  buckets: { bucket: string; objectEventsEnabled: boolean | null; error?: string }[];
  problems: string[];
  /** Not broken, but worth knowing. */
  warnings: string[];
}

function parseCondition(condition: string): { eventTypes: string[]; buckets: string[] } {
  try {
    const c = JSON.parse(condition) as { eventType?: unknown; data?: { additionalDetails?: { bucketName?: unknown } } };
    const list = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === "string") : typeof v === "string" ? [v] : []);
    return { eventTypes: list(c.eventType), buckets: list(c.data?.additionalDetails?.bucketName) };
  } catch {
    return { eventTypes: [], buckets: [] };
  }
}

/** Finds the misconfigurations that make events silently do nothing. Changes nothing. */
export async function handleDiagnose(body: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger): Promise<{ diagnose: DiagnoseReport }> {
  const parsed = DiagnoseRequestSchema.safeParse(body);
  if (!parsed.success) throw zodToInvalidPayload(parsed.error, "diagnose request");
  const budget = { notAfter: () => dl.hardStopAt, limiter: createRateLimiter(rt.config.maxRps) };
  const problems: string[] = [];
  const warnings: string[] = [];
  if (!rt.config.stateBucket) {
    warnings.push(
      "REENCRYPT_STATE_BUCKET is not set: jobs are not durable (an invocation that dies loses the rest of its job), rotations are not de-duplicated, no reports are written and no job status can be asked",
    );
  }
  const compartments = rt.config.compartmentIds ?? (rt.compartmentId ? [rt.compartmentId] : []);
  const fnId = rt.functionId;
  if (!fnId) problems.push("FN_FN_ID is not a function OCID: cannot tell which rules target this function");
  if (compartments.length === 0) problems.push("no compartment to inspect: set REENCRYPT_COMPARTMENT_IDS");

  const mine: { rule: RuleInfo; actionEnabled: boolean }[] = [];
  for (const c of compartments) {
    for (const rule of await rt.eventRules(budget).listRules(c)) {
      const actions = rule.actions.filter((a) => a.actionType === "FAAS" && a.functionId === fnId);
      if (actions.length > 0) mine.push({ rule, actionEnabled: actions.some((a) => a.isEnabled) });
    }
  }
  const rules = mine.map(({ rule, actionEnabled }) => ({ id: rule.id, displayName: rule.displayName, isEnabled: rule.isEnabled, actionEnabled, ...parseCondition(rule.condition) }));
  for (const r of rules) {
    if (!r.isEnabled) problems.push(`event rule "${r.displayName}" (${r.id}) targets this function but is disabled`);
    else if (!r.actionEnabled) problems.push(`event rule "${r.displayName}" (${r.id}) has its action to this function disabled`);
  }
  for (const type of HANDLED_EVENT_TYPES) {
    if (type === OBJECT_CREATED_EVENT && rt.config.rules.length === 0) continue;
    const live = rules.some((r) => r.isEnabled && r.actionEnabled && (r.eventTypes.length === 0 || r.eventTypes.includes(type)));
    if (!live) problems.push(`no enabled event rule sends ${type} to this function`);
  }

  // Buckets that should emit createobject events: those the rules' conditions name, and those
  // REENCRYPT_RULES covers in the scanned compartments.
  const store = rt.objectStore(budget);
  const namespace = await namespaceOf(rt, dl.hardStopAt);
  const names = new Set(rules.filter((r) => r.eventTypes.includes(OBJECT_CREATED_EVENT)).flatMap((r) => r.buckets.filter((b) => !b.includes("*"))));
  if (rt.config.rules.length > 0) {
    for (const c of compartments) {
      for (const b of await collectPages((page) => store.listBuckets(namespace, c, page))) {
        if (rt.config.rules.some((rule) => matchesBucketGlob(rule.bucket, namespace, b))) names.add(b);
      }
    }
  }
  const buckets: DiagnoseReport["buckets"] = [];
  for (const name of [...names].sort()) {
    try {
      const b = await store.getBucket(namespace, name);
      buckets.push({ bucket: name, objectEventsEnabled: b.objectEventsEnabled });
      if (!b.objectEventsEnabled) problems.push(`bucket ${name} does not emit object events: oci os bucket update --name ${name} --object-events-enabled true`);
    } catch (error) {
      const msg = error instanceof Error ? error.message : String(error);
      buckets.push({ bucket: name, objectEventsEnabled: null, error: msg });
      problems.push(`bucket ${name} could not be read: ${msg}`);
    }
  }
  log.info("diagnose", { problems: problems.length, rules: rules.length, buckets: buckets.length });
  return { diagnose: { ok: problems.length === 0, functionId: fnId ?? null, compartments, rules, buckets, problems, warnings } };
}
