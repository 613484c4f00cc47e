import { KEY_ROTATION_EVENTS, OBJECT_CREATED_EVENT } from "../contract/event-types.js";
import { KeyManagementRotationEventDataSchema, normalizeEvent, ObjectStorageObjectEventDataSchema } from "../contract/events.js";
import type { JobResponse } from "../contract/response.js";
import { zodToInvalidPayload } from "../contract/zod-issues.js";
import { continueJob } from "../jobs/continue-job.js";
import type { Deadlines } from "../invocation/deadline.js";
import { executeJob } from "../jobs/execute-job.js";
import { newJobId } from "../jobs/from-request.js";
import { jobFromKeyRotation } from "../jobs/from-key-rotation.js";
import { jobFromObjectEvent } from "../jobs/from-object-event.js";
import { zeroCounts } from "../jobs/job.js";
import type { Logger } from "../log.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import type { Runtime } from "../invocation/runtime.js";
import { namespaceOf, stateBucketOf } from "../invocation/namespace.js";

const answer = (status: JobResponse["status"], message: string, jobId = newJobId()): JobResponse => ({ jobId, status, counts: zeroCounts(), failures: [], message });

/** OCI Events: object created → the rules decide; key rotated → a rotation job; anything else ignored. */
export async function handleEvent(body: Record<string, unknown>, rt: Runtime, dl: Deadlines, log: Logger): Promise<JobResponse> {
  const ev = normalizeEvent(body);
  if (!("eventType" in ev)) throw zodToInvalidPayload(ev, "event");
  const elog = log.child({ eventType: ev.eventType, eventId: ev.eventId });

  if (ev.eventType === OBJECT_CREATED_EVENT) {
    const parsed = ObjectStorageObjectEventDataSchema.safeParse(ev.data);
    if (!parsed.success) throw zodToInvalidPayload(parsed.error, "createobject event data");
    const decision = jobFromObjectEvent(parsed.data, rt.config);
    if ("skip" in decision) {
      elog.info("object event skipped", { reason: decision.skip });
      return answer("skipped", decision.skip);
    }
    const exec = await executeJob(decision.job, new Map(), rt, dl, elog.child({ jobId: decision.job.id }));
    return continueJob(exec, rt, dl, elog);
  }

  if ((KEY_ROTATION_EVENTS as readonly string[]).includes(ev.eventType)) {
    const parsed = KeyManagementRotationEventDataSchema.safeParse(ev.data);
    if (!parsed.success) throw zodToInvalidPayload(parsed.error, "key rotation event data");
    const budget = { notAfter: () => dl.hardStopAt, limiter: createRateLimiter(rt.config.maxRps) };
    const store = rt.objectStore(budget);
    const namespace = await namespaceOf(rt, dl.hardStopAt);
    const compartmentIds = rt.config.compartmentIds ?? (rt.compartmentId ? [rt.compartmentId] : []);
    const decision = await jobFromKeyRotation(ev.eventType, parsed.data, {
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
      return { ...answer("failed", decision.fail), failures: [] };
    }
    if ("skip" in decision) {
      elog.info("rotation skipped", { reason: decision.skip });
      return answer("skipped", decision.skip);
    }
    const { job, key } = decision;
    const state = await stateBucketOf(rt, dl.hardStopAt);
    if (state) {
      // Manual and automatic events, and redeliveries, announce the same rotation: the first
      // to create this marker runs it, atomically (if-none-match: *).
      const marker = `rotations/${key.id}/${key.currentKeyVersion}.json`;
      const first = await store.putObject(state.namespace, state.bucket, marker, JSON.stringify({ jobId: job.id, eventType: ev.eventType, eventId: ev.eventId, at: new Date().toISOString() }), {
        ifNoneMatch: true,
      });
      if (!first) {
        elog.info("rotation already handled", { keyId: key.id, keyVersion: key.currentKeyVersion });
        return answer("skipped", `rotation of ${key.id} to ${key.currentKeyVersion} was already handled`);
      }
    }
    elog.info("rotation job", { jobId: job.id, keyId: key.id, keyVersion: key.currentKeyVersion, units: job.units.length });
    const exec = await executeJob(job, new Map(), rt, dl, elog.child({ jobId: job.id }));
    return continueJob(exec, rt, dl, elog);
  }

  elog.info("event ignored");
  return answer("ignored", `${ev.eventType} is not an event this function acts on`);
}
