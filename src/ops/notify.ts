// Messages and metrics outside a job's own run: what a sweep found, and key-lifecycle hazards.
// Each call sends at most one message and one metrics post, and returns once they are done or
// abandoned (at most 3 s, never past the invocation's reserve): it never throws.

import type { Logger } from "../log.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";
import { CALL_TIMEOUT_MS, settleCalls, startCall } from "./in-flight.js";
import { hazardsMessage, jobsStalledMessage, looksLikeKeyMaterial, type Hazard, type Message, type StalledJob } from "./messages.js";
import { stalledData } from "./metrics.js";
import { addMetrics, flushMetrics } from "./metrics-outbox.js";

function publish(rt: Runtime, dl: Deadlines, log: Logger, what: string, m: Message, fields: Record<string, unknown>): Promise<boolean> {
  const ons = rt.notifications;
  if (!ons) return Promise.resolve(false);
  if (looksLikeKeyMaterial(m.title) || looksLikeKeyMaterial(m.body)) {
    log.error(`${what} not sent: it looked like it held key material`, fields);
    return Promise.resolve(false);
  }
  return startCall(rt, dl, log, what, async (limits) => {
    const messageId = await ons.client.publish(ons.topicId, m, limits);
    log.info(`${what} published`, { ...fields, messageId });
  });
}

/**
 * A sweep's findings: JobsStalled by origin (zeros too, so an alarm sees the sweep run) and, when
 * it found stalled jobs, one message listing them.
 */
export async function reportSweep(
  rt: Runtime,
  dl: Deadlines,
  log: Logger,
  found: { stalled: readonly StalledJob[]; resumed: readonly string[]; needCaller: readonly string[] },
): Promise<void> {
  try {
    if (rt.metrics) addMetrics(rt, stalledData({ namespace: rt.metrics.namespace, compartmentId: rt.metrics.compartmentId }, found.stalled, new Date().toISOString()), { sum: false });
    if (found.stalled.length > 0) {
      void publish(rt, dl, log, "stalled-jobs message", jobsStalledMessage(found.stalled, found.resumed, found.needCaller), { stalled: found.stalled.length });
    }
    flushMetrics(rt, dl, log, true);
    await settleCalls(rt, dl, CALL_TIMEOUT_MS);
  } catch (error) {
    log.warn("sweep findings not reported", { error: error instanceof Error ? error.name : "Unknown" });
  }
}

/**
 * Key-lifecycle hazards (a key disabled or scheduled for deletion while this function's records
 * say objects still use it, …): one message listing them. Resolves true when it was published;
 * false without a topic, without hazards, or when publishing failed (logged).
 */
export async function notifyHazards(rt: Runtime, dl: Deadlines, log: Logger, hazards: readonly Hazard[]): Promise<boolean> {
  if (hazards.length === 0) return false;
  try {
    const sent = publish(rt, dl, log, "hazard message", hazardsMessage(hazards), { hazards: hazards.length, kinds: [...new Set(hazards.map((h) => h.kind))] });
    await settleCalls(rt, dl, CALL_TIMEOUT_MS);
    return await sent;
  } catch (error) {
    log.warn("hazards not reported", { error: error instanceof Error ? error.name : "Unknown" });
    return false;
  }
}
