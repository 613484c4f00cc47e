import { BUCKET_UPDATED_EVENT, KEY_RETIREMENT_EVENTS, KEY_ROTATION_EVENTS, OBJECT_CREATED_EVENT } from "../contract/event-types.js";
import { KeyManagementRotationEventDataSchema, normalizeEvent, ObjectStorageObjectEventDataSchema } from "../contract/events.js";
import type { JobResponse } from "../contract/response.js";
import { zodToInvalidPayload } from "../contract/zod-issues.js";
import type { Deadlines } from "../runtime/deadline.js";
import { namespaceOf } from "../runtime/namespace.js";
import type { Runtime } from "../runtime/runtime.js";
import { hintFor } from "../engine/hints.js";
import { newJobId } from "../jobs/from-request.js";
import { jobFromKeyRotation } from "../jobs/from-key-rotation.js";
import { jobFromObjectEvent } from "../jobs/from-object-event.js";
import { wholeJob, zeroCounts } from "../model/job.js";
import { newOwner } from "../jobs/leases.js";
import { openJobStore } from "../jobs/open-job-store.js";
import { runInvocation } from "../jobs/run-invocation.js";
import { startRotation } from "../jobs/start-marked-job.js";
import type { Logger } from "../log.js";
import type { Retirement } from "../lifecycle/hazards.js";
import type { HazardAnswer } from "./lifecycle-events.js";
import { OciCallError } from "../oci/oci-failure.js";
import { createRateLimiter } from "../oci/rate-limiter.js";

const answer = (status: JobResponse["status"], message: string, jobId = newJobId()): JobResponse => ({ jobId, status, counts: zeroCounts(), failures: [], message });

/**
 * OCI Events: object created → the rules decide; key rotated → a rotation job; bucket updated →
 * compared with the inventory (a key change starts a job); a key about to stop working → the
 * hazards; anything else ignored.
 */
export async function handleEvent(body: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger): Promise<JobResponse | HazardAnswer> {
  const ev = normalizeEvent(body);
  if (!("eventType" in ev)) throw zodToInvalidPayload(ev, "event");
  const elog = log.child({ eventType: ev.eventType, eventId: ev.eventId });

  if (ev.eventType === OBJECT_CREATED_EVENT) {
    const parsed = ObjectStorageObjectEventDataSchema.safeParse(ev.data);
    if (!parsed.success) throw zodToInvalidPayload(parsed.error, "createobject event data");
    const decision = jobFromObjectEvent(parsed.data, rt.config);
    if ("ignore" in decision) {
      elog.info("object event ignored", { reason: decision.ignore });
      return answer("ignored", decision.ignore);
    }
    if ("skip" in decision) {
      elog.info("object event skipped", { reason: decision.skip });
      return answer("skipped", decision.skip);
    }
    const { spec } = decision;
    const jobs = await openJobStore(rt, dl, elog);
    return runInvocation(
      { spec, work: wholeJob(spec), inline: new Map(), driver: "self", ...(jobs ? { durable: { jobs, owner: newOwner(), claimed: undefined } } : { portable: { totals: zeroCounts(), seq: 0 } }) },
      rt,
      dl,
      elog.child({ jobId: spec.id }),
    );
  }

  if ((KEY_ROTATION_EVENTS as readonly string[]).includes(ev.eventType)) {
    const parsed = KeyManagementRotationEventDataSchema.safeParse(ev.data);
    if (!parsed.success) throw zodToInvalidPayload(parsed.error, "key rotation event data");
    try {
      return await rotation(ev.eventType, ev.eventId, parsed.data, rt, dl, elog);
    } catch (error) {
      // What the event names (a vault, a compartment) is the sender's input: an OCI answer about
      // it is a failed job with a hint, not an internal error.
      if (!(error instanceof OciCallError)) throw error;
      const f = error.failure;
      elog.error("rotation not handled", { status: f.status, code: f.code, message: f.message });
      return {
        ...answer("failed", `the rotation could not be handled: ${error.message}`),
        failures: [{ namespace: "", bucket: "", object: "", status: f.status === 0 ? 502 : f.status, code: f.code, message: f.message, hint: rotationHint(f.status, f.code), ...(f.opcRequestId ? { opcRequestId: f.opcRequestId } : {}) }],
      };
    }
  }

  // The key lifecycle's events load their modules on first use (a cold start evaluates none).
  if (ev.eventType === BUCKET_UPDATED_EVENT) return (await import("./lifecycle-events.js")).bucketUpdated(ev.data, rt, dl, elog);

  const retirement = (KEY_RETIREMENT_EVENTS as Record<string, Retirement>)[ev.eventType];
  if (retirement !== undefined) {
    const parsed = KeyManagementRotationEventDataSchema.safeParse(ev.data);
    if (!parsed.success) throw zodToInvalidPayload(parsed.error, "key event data");
    return (await import("./lifecycle-events.js")).keyRetiring(retirement, parsed.data, rt, dl, elog);
  }

  elog.info("event ignored");
  return answer("ignored", `${ev.eventType} is not an event this function acts on`);
}

function rotationHint(status: number, code: string): string {
  if (code === "RotationNotConfirmed") return "Key Management does not report the new key version as current yet: deliver the event again later (or send it by hand).";
  if (code === "InvalidEvent") return "The event does not name the key: check the rule sends Key Management events unchanged.";
  if (status === 404 || status === 401 || status === 403) {
    return "A vault, key or compartment the event names does not exist or this function may not read it: check the event and the dynamic group's policy (read vaults, read keys, read buckets).";
  }
  return hintFor({ status, code, message: "", opcRequestId: undefined }, { sseCSourceGiven: false });
}

async function rotation(eventType: string, eventId: string | undefined, data: ReturnType<typeof KeyManagementRotationEventDataSchema.parse>, rt: Runtime, dl: Deadlines, elog: Logger): Promise<JobResponse> {
  const budget = { notAfter: () => dl.hardStopAt, limiter: createRateLimiter(rt.config.maxRps) };
  const store = rt.objectStore(budget);
  const namespace = await namespaceOf(rt, dl.hardStopAt);
  const compartmentIds = rt.config.compartmentIds ?? (rt.compartmentId ? [rt.compartmentId] : []);
  const decision = await jobFromKeyRotation(eventType, data, {
    config: rt.config,
    store,
    kms: rt.keyManagement(budget),
    namespace,
    compartmentIds,
    log: elog,
    // Wait for currentKeyVersion at most a quarter of the budget, and never past stopAt.
    waitUntil: Math.min(dl.stopAt, Date.now() + (dl.deadline - Date.now()) / 4),
  });
  if ("fail" in decision) {
    elog.error("rotation not handled", { reason: decision.fail });
    return { ...answer("failed", decision.fail), failures: [{ namespace, bucket: "", object: "", status: decision.status, code: decision.code, message: decision.fail, hint: rotationHint(decision.status, decision.code) }] };
  }
  if ("skip" in decision) {
    elog.info("rotation skipped", { reason: decision.skip });
    return { ...answer("skipped", decision.skip), ...(decision.skippedBuckets ? { skippedBuckets: decision.skippedBuckets } : {}) };
  }
  const { spec, key } = decision;
  elog.info("rotation job", { jobId: spec.id, keyId: key.id, keyVersion: key.currentKeyVersion, units: spec.units.length });
  const jobs = await openJobStore(rt, dl, elog);
  if (jobs) return startRotation(decision, { eventType, eventId }, jobs, rt, dl, elog.child({ jobId: spec.id }));
  // No state bucket: v1, one chain of invocations carried by self-contained tokens.
  return runInvocation({ spec, work: wholeJob(spec), inline: new Map(), driver: "self", portable: { totals: zeroCounts(), seq: 0 } }, rt, dl, elog.child({ jobId: spec.id }));
}
