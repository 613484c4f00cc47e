// What a job tells operators (contract §13): its version counts and 429s as metrics while it runs,
// one message and the job-level metrics when it finishes. The job's code calls in here in one line
// per place; nothing here can slow, fail or retry a job (in-flight.ts).

import type { Logger } from "../log.js";
import type { Counts, JobOrigin, JobSpec } from "../model/job.js";
import type { RateLimiter } from "../oci/rate-limiter.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";
import { opsState, settleCalls, startCall, waitBoundMs } from "./in-flight.js";
import { jobDurationSeconds, jobFinishedMessage, looksLikeKeyMaterial, type FinishedJob, type Message } from "./messages.js";
import { jobEndData, minus, noProgress, progressData, progressOf, type Progress } from "./metrics.js";
import { addMetrics, flushMetrics } from "./metrics-outbox.js";

/** An object-event job's message is sent only when it did not succeed, and at most this often per container. */
const EVENT_MESSAGE_INTERVAL_MS = 60_000;
const FINAL_STATUSES: ReadonlySet<string> = new Set(["succeeded", "partial", "failed", "dry-run"]);

export interface JobOps {
  /** A checkpoint's snapshot of this shard run's counts (cumulative over the run). */
  checkpoint(counts: Counts): void;
  /** The shard run stopped with these counts (cumulative over the run). */
  stop(counts: Counts): void;
}

/** Starts the metrics of one shard run (one engine run in this invocation). */
export function startJobOps(rt: Runtime, spec: Pick<JobSpec, "id" | "origin">, limiter: RateLimiter, dl: Deadlines, log: Logger): JobOps {
  const state = opsState(rt);
  // Cleared when the invocation settles; an invocation that threw never did.
  if (state.jobStarts.size > 100) state.jobStarts.clear();
  if (!state.jobStarts.has(spec.id)) state.jobStarts.set(spec.id, Date.now());
  const metrics = rt.metrics;
  if (!metrics) return { checkpoint: () => undefined, stop: () => undefined };
  const target = { namespace: metrics.namespace, compartmentId: metrics.compartmentId };
  const throttledAtStart = limiter.throttledCount();
  let sent: Progress = noProgress();
  const record = (counts: Counts): void => {
    const now = progressOf(counts, limiter.throttledCount() - throttledAtStart);
    const delta = minus(now, sent);
    sent = now;
    addMetrics(rt, progressData(target, spec.origin, delta, new Date().toISOString()), { sum: true });
  };
  return {
    checkpoint(counts) {
      record(counts);
      flushMetrics(rt, dl, log, false);
    },
    stop(counts) {
      // Posted with the invocation's end (settleOps), together with the job's end when it ends here.
      record(counts);
    },
  };
}

function jobMessage(rt: Runtime, job: FinishedJob, startedAt: number | undefined, log: Logger): Message | undefined {
  if (!rt.notifications) return undefined;
  if (job.origin === "object-event") {
    // One object per event job: a message each would flood the topic (and its e-mail subscribers).
    if (job.status === "succeeded" || job.status === "dry-run") return undefined;
    const s = opsState(rt);
    if (Date.now() - s.lastEventMessageAt < EVENT_MESSAGE_INTERVAL_MS) {
      log.info("job message not sent: at most one object-event job message a minute per container (VersionsFailed counts them all)", { jobId: job.jobId, status: job.status });
      return undefined;
    }
    s.lastEventMessageAt = Date.now();
  }
  const m = jobFinishedMessage(job, startedAt);
  if (looksLikeKeyMaterial(m.title) || looksLikeKeyMaterial(m.body)) {
    log.error("job message not sent: it looked like it held key material", { jobId: job.jobId });
    return undefined;
  }
  return m;
}

/**
 * A job finished in this invocation (call it from the one writer that recorded its final status,
 * or where a job without a record ends): its message and job-level metrics, sent off the job's
 * path. Never throws; settleOps waits for them before the answer.
 */
export function reportJobEnd(rt: Runtime, dl: Deadlines, log: Logger, job: FinishedJob): void {
  if (!FINAL_STATUSES.has(job.status)) return;
  try {
    const startedAt = opsState(rt).jobStarts.get(job.jobId);
    const m = jobMessage(rt, job, startedAt, log);
    const ons = rt.notifications;
    if (m && ons) {
      void startCall(rt, dl, log, "job message", async (limits) => {
        const messageId = await ons.client.publish(ons.topicId, m, limits);
        log.info("job message published", { jobId: job.jobId, status: job.status, messageId });
      });
    }
    if (rt.metrics) {
      const target = { namespace: rt.metrics.namespace, compartmentId: rt.metrics.compartmentId };
      const at = new Date().toISOString();
      const [finished, duration] = jobEndData(target, job.origin, job.status, job.origin === "object-event" ? null : jobDurationSeconds(job, startedAt), at);
      if (finished) addMetrics(rt, [finished], { sum: true });
      if (duration) addMetrics(rt, [duration], { sum: false });
    }
  } catch (error) {
    log.warn("job end not reported", { jobId: job.jobId, error: error instanceof Error ? error.name : "Unknown" });
  }
}

/**
 * The end of an invocation that ran a job: posts the metrics still pending (an object-event job's
 * wait for the next post that is due) and waits for every reporting call in flight, at most
 * waitBoundMs (2 % of the run for an answer a caller waits for, 0.5 to 3 s), then abandons them.
 */
export async function settleOps(rt: Runtime, dl: Deadlines, log: Logger, o: { origin: JobOrigin; driver: "caller" | "self"; since: number }): Promise<void> {
  try {
    flushMetrics(rt, dl, log, o.origin !== "object-event");
    await settleCalls(rt, dl, waitBoundMs(o.driver === "caller", o.since));
  } finally {
    opsState(rt).jobStarts.clear();
  }
}
