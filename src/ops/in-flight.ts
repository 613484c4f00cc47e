// Reporting calls (Notifications, Monitoring) never slow or fail a job: each is one attempt with a
// timeout, started off the job's path, and the invocation waits for the ones still in flight only
// before it answers (a container is frozen after its answer: a call left running would be cut),
// and only for a bounded time, after which they are aborted.

import type { Logger } from "../log.js";
import type { MetricData } from "../oci/monitoring.js";
import type { CallLimits } from "../oci/notifications.js";
import { OciCallError } from "../oci/oci-failure.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";

/** The longest any one reporting call may take. */
export const CALL_TIMEOUT_MS = 3_000;
/** Kept free before the invocation's deadline for writing the answer itself. */
const ANSWER_RESERVE_MS = 500;
/** A call with less time than this left is not started. */
const MIN_CALL_MS = 50;
/**
 * When a caller waits for the answer (a request job), the answer waits for reporting calls at most
 * this share of the invocation's run so far, within [CALLER_WAIT_MIN_MS, CALL_TIMEOUT_MS]: a
 * hanging topic costs a run of 25 s or more at most 2 % of its wall time (a healthy PublishMessage
 * takes a fraction of the floor). Nobody waits for a detached invocation's answer: it gives them
 * CALL_TIMEOUT_MS.
 */
const CALLER_WAIT_SHARE = 0.02;
const CALLER_WAIT_MIN_MS = 500;

interface Call {
  done: Promise<void>;
  abort: () => void;
}

interface OpsState {
  calls: Set<Call>;
  /** When each job run by this invocation started here (its first shard run in this invocation). */
  jobStarts: Map<string, number>;
  /** Metric streams not posted yet, by name and dimensions (metrics-outbox.ts). */
  pending: Map<string, MetricData>;
  lastPostAt: number;
  posting: boolean;
  /** When this container last published an object-event job's message. */
  lastEventMessageAt: number;
}

const states = new WeakMap<Runtime, OpsState>();

export function opsState(rt: Runtime): OpsState {
  let s = states.get(rt);
  if (!s) {
    s = { calls: new Set(), jobStarts: new Map(), pending: new Map(), lastPostAt: 0, posting: false, lastEventMessageAt: 0 };
    states.set(rt, s);
  }
  return s;
}

/** How long an answer may wait for reporting calls. */
export function waitBoundMs(callerWaiting: boolean, runningSinceMs: number | undefined, now = Date.now()): number {
  if (!callerWaiting) return CALL_TIMEOUT_MS;
  const ran = runningSinceMs === undefined ? 0 : Math.max(0, now - runningSinceMs);
  return Math.min(CALL_TIMEOUT_MS, Math.max(CALLER_WAIT_MIN_MS, ran * CALLER_WAIT_SHARE));
}

const said = (error: unknown): Record<string, unknown> => {
  if (error instanceof OciCallError) return { status: error.failure.status, code: error.failure.code, ...(error.failure.opcRequestId ? { opcRequestId: error.failure.opcRequestId } : {}) };
  return { status: 0, code: error instanceof Error ? error.name : "Unknown" };
};

/**
 * Starts `send` with a timeout that ends before the invocation's answer is due, registered so the
 * answer can wait for it. Never throws; failures are logged with their status and code only.
 * Resolves true when the call succeeded.
 */
export function startCall(rt: Runtime, dl: Deadlines, log: Logger, what: string, send: (limits: CallLimits) => Promise<unknown>, wantMs = CALL_TIMEOUT_MS): Promise<boolean> {
  const timeoutMs = Math.min(wantMs, dl.deadline - ANSWER_RESERVE_MS - Date.now());
  if (timeoutMs < MIN_CALL_MS) {
    log.warn(`${what} skipped: no time left before the invocation's deadline`);
    return Promise.resolve(false);
  }
  const state = opsState(rt);
  const controller = new AbortController();
  const result = send({ timeoutMs, signal: controller.signal }).then(
    () => true,
    (error: unknown) => {
      log.warn(controller.signal.aborted ? `${what} abandoned: the invocation answers now` : `${what} failed`, said(error));
      return false;
    },
  );
  const call: Call = { done: result.then(() => undefined), abort: () => controller.abort() };
  state.calls.add(call);
  void call.done.then(() => state.calls.delete(call));
  return result;
}

/**
 * Waits for the reporting calls in flight, at most `boundMs` and never past the invocation's
 * reserve, then gives up on the rest (each call's own timeout ends its request by then anyway).
 */
export async function settleCalls(rt: Runtime, dl: Deadlines, boundMs: number): Promise<void> {
  const state = opsState(rt);
  if (state.calls.size === 0) return;
  const waitMs = Math.max(0, Math.min(boundMs, dl.deadline - ANSWER_RESERVE_MS - Date.now()));
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, waitMs)));
  await Promise.race([Promise.all([...state.calls].map((c) => c.done)), timeout]);
  clearTimeout(timer);
  const left = [...state.calls];
  if (left.length === 0) return;
  for (const c of left) c.abort();
  // An aborted request ends at once; the short bound only guards against a sender that ignores it.
  await Promise.race([Promise.all(left.map((c) => c.done)), new Promise((resolve) => setTimeout(resolve, 100).unref())]);
}
