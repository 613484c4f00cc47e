// The messages published to REENCRYPT_NOTIFY_TOPIC (contract §13; docs/operations.md says what
// each means and what to do). Bodies are JSON built field by field from what a job record or
// answer holds: object names, counts, statuses, hints, secret OCIDs at most. Never a key, a
// secret's contents or a PEM; a body that still looks like one is not sent.

import type { FailureRecord } from "../model/failure.js";
import type { Counts, JobOrigin } from "../model/job.js";
import { MESSAGE_LIMIT_BYTES } from "../oci/notifications.js";

export interface Message {
  title: string;
  body: string;
}

/** What the message of a finished job tells. A JobRecord is one; so is a job's answer plus its origin. */
export interface FinishedJob {
  jobId: string;
  origin: JobOrigin;
  status: string;
  counts: Counts;
  failures: readonly FailureRecord[];
  /** ISO time the job's record was created; absent for a job that never needed one. */
  createdAt?: string | undefined;
  finishedAt?: string | undefined;
  updatedAt?: string | undefined;
  /** The summary object's path; else the first report part. */
  summary?: string | undefined;
  report?: string | undefined;
  reports?: readonly string[] | undefined;
  shards?: readonly unknown[] | undefined;
  invocations?: number | undefined;
  /** Carried by resume tokens from earlier invocations: when it started is not known here. */
  continued?: boolean | undefined;
}

/** A stalled job as the sweep found it (a JobRecord is one). */
export interface StalledJob {
  jobId: string;
  origin: JobOrigin;
  counts: Counts;
  updatedAt: string;
}

/** A key-lifecycle hazard (a key disabled or scheduled for deletion while objects still use it, …). */
export interface Hazard {
  /** What kind of hazard, e.g. "key-disabled", "key-deletion-scheduled". */
  kind: string;
  bucket?: string | undefined;
  /** The REENCRYPT_RULES entry concerned (its index or its description). */
  rule?: string | number | undefined;
  jobId?: string | undefined;
  /** A Vault key or secret OCID: never a key itself. */
  keyId?: string | undefined;
  /** What to do about it. */
  fix: string;
}

/** Failures listed in a job's message. */
export const MESSAGE_FAILURES = 10;
/** The body's budget: Notifications takes 64 KB per request, title and JSON framing included. */
export const BODY_LIMIT_BYTES = MESSAGE_LIMIT_BYTES - 4 * 1024;
const STALLED_LISTED = 50;
const HAZARDS_LISTED = 50;
const TEXT_MAX = 500;

const bytes = (s: string): number => Buffer.byteLength(s, "utf8");
const clip = (s: string, max = TEXT_MAX): string => (s.length > max ? `${s.slice(0, max)}…` : s);

/** PEM blocks, and private keys anywhere: a message holding one is a bug, never sent. */
const PEM = /-----BEGIN [A-Z ]*(PRIVATE KEY|CERTIFICATE)-----|PRIVATE KEY-----/;

export function looksLikeKeyMaterial(text: string): boolean {
  return PEM.test(text);
}

const WHAT_TO_DO: Record<string, string> = {
  succeeded: "Nothing: every version in scope is on the intended key.",
  partial: "Some versions failed: each failure below has a hint; the report lists every failed version. Fix the cause and send the job's request again (or let the next rotation redo it).",
  failed: "No version was re-encrypted: the failures' hints name the cause (IAM, a disabled key, a missing secret). Fix it and send the request again.",
  "dry-run": "A dry run changed nothing; its answer and report list what a real run would re-encrypt.",
};

function failureView(f: FailureRecord): Record<string, unknown> {
  return {
    bucket: f.bucket,
    object: f.object,
    ...(f.versionId !== undefined ? { versionId: f.versionId } : {}),
    status: f.status,
    code: f.code,
    message: clip(f.message),
    hint: clip(f.hint),
    ...(f.opcRequestId !== undefined ? { opcRequestId: f.opcRequestId } : {}),
  };
}

/** First record (or, without one, the start of its run here) to its end; null when not known here. */
export function jobDurationSeconds(job: FinishedJob, startedAt: number | undefined, now = Date.now()): number | null {
  if (job.continued) return null;
  const start = job.createdAt !== undefined ? Date.parse(job.createdAt) : startedAt;
  const end = job.finishedAt !== undefined ? Date.parse(job.finishedAt) : now;
  return start !== undefined && Number.isFinite(start) && Number.isFinite(end) ? Math.max(0, Math.round((end - start) / 100) / 10) : null;
}

/** Serialises `body`, dropping entries from the end of `list` until it fits the body budget. */
function fit(body: Record<string, unknown>, list: string, shownKey: string): string {
  const items = body[list] as unknown[];
  for (;;) {
    const text = JSON.stringify(body, null, 2);
    if (bytes(text) <= BODY_LIMIT_BYTES || items.length === 0) return text;
    items.pop();
    body[shownKey] = items.length;
  }
}

/** `oci-reencrypt: <status> <origin> job <jobId>`, the job's outcome as JSON. `startedAt` (epoch ms) when no record says. */
export function jobFinishedMessage(job: FinishedJob, startedAt: number | undefined, now = Date.now()): Message {
  const createdAt = job.createdAt ?? (startedAt !== undefined && !job.continued ? new Date(startedAt).toISOString() : undefined);
  const failures = job.failures.slice(0, MESSAGE_FAILURES).map(failureView);
  const body: Record<string, unknown> = {
    event: "job-finished",
    jobId: job.jobId,
    origin: job.origin,
    status: job.status,
    counts: job.counts,
    durationSeconds: jobDurationSeconds(job, startedAt, now),
    startedAt: createdAt ?? null,
    finishedAt: job.finishedAt ?? new Date(now).toISOString(),
    ...(job.shards !== undefined ? { shards: job.shards.length } : {}),
    ...(job.invocations !== undefined ? { invocations: job.invocations } : {}),
    report: job.summary ?? job.report ?? job.reports?.[0] ?? null,
    failuresTotal: job.counts.failed,
    failuresShown: failures.length,
    failures,
    whatToDo: WHAT_TO_DO[job.status] ?? "See the job's status and report.",
  };
  return { title: `oci-reencrypt: ${job.status} ${job.origin} job ${job.jobId}`, body: fit(body, "failures", "failuresShown") };
}

/** One message per sweep that found stalled jobs. */
export function jobsStalledMessage(stalled: readonly StalledJob[], resumed: readonly string[], needCaller: readonly string[]): Message {
  const r = new Set(resumed);
  const c = new Set(needCaller);
  const jobs = stalled.slice(0, STALLED_LISTED).map((j) => ({
    jobId: j.jobId,
    origin: j.origin,
    counts: j.counts,
    lastProgressAt: j.updatedAt,
    resumed: r.has(j.jobId),
    needsCaller: c.has(j.jobId),
  }));
  const body: Record<string, unknown> = {
    event: "jobs-stalled",
    stalledTotal: stalled.length,
    resumedTotal: stalled.filter((j) => r.has(j.jobId)).length,
    needCallerTotal: stalled.filter((j) => c.has(j.jobId)).length,
    jobsShown: jobs.length,
    jobs,
    whatToDo:
      "A stalled job's runner died or could not start its continuation. The sweep restarted the ones marked resumed; a job that needs its caller was started with an inline SSE-C key and waits for its caller's resume; any other stalled job is retried by the next sweep: if the same job stalls again, read the function's logs for it (jobId) and run diagnose.",
  };
  const n = stalled.length;
  return { title: `oci-reencrypt: ${n} stalled job${n === 1 ? "" : "s"} found by the sweep`, body: fit(body, "jobs", "jobsShown") };
}

/** One message per call with key-lifecycle hazards. */
export function hazardsMessage(hazards: readonly Hazard[]): Message {
  const listed = hazards.slice(0, HAZARDS_LISTED).map((h) => ({
    kind: h.kind,
    ...(h.bucket !== undefined ? { bucket: h.bucket } : {}),
    ...(h.rule !== undefined ? { rule: h.rule } : {}),
    ...(h.jobId !== undefined ? { jobId: h.jobId } : {}),
    ...(h.keyId !== undefined ? { keyId: h.keyId } : {}),
    fix: clip(h.fix, 1_000),
  }));
  const body: Record<string, unknown> = { event: "key-lifecycle-hazards", hazardsTotal: hazards.length, hazardsShown: listed.length, hazards: listed };
  const kinds = [...new Set(hazards.map((h) => h.kind))].join(", ");
  const n = hazards.length;
  return { title: clip(`oci-reencrypt: ${n} key-lifecycle hazard${n === 1 ? "" : "s"}: ${kinds}`, 250), body: fit(body, "hazards", "hazardsShown") };
}
