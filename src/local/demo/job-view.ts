// A job as its status route answers it (GET /reencrypt/jobs/{jobId}, or {"job": "<jobId>"}), and
// the one-line and multi-line forms the demo and `npm run job` print it in.

export interface JobCounts {
  matched: number;
  reencrypted: number;
  failed: number;
  skipped: number;
}

export interface JobView {
  jobId: string;
  origin: string;
  status: string;
  counts: JobCounts;
  createdAt: string;
  updatedAt: string;
  finishedAt?: string;
  invocations: number;
  shards: { total: number; running: number; done: number; stalled: number };
  failures: { bucket: string; object: string; status: number; code: string; hint?: string }[];
  reports: string[];
  rate?: number;
  etaSeconds?: number;
  estimatedVersions?: number;
  summary?: string;
  message?: string;
}

export interface HttpAnswer {
  status: number;
  data: Record<string, unknown> | undefined;
  text: string;
}

const n = (x: number): string => x.toLocaleString("en-US");

function parseJson(text: string): Record<string, unknown> | undefined {
  try {
    const v: unknown = JSON.parse(text);
    return v !== null && typeof v === "object" && !Array.isArray(v) ? (v as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

export async function httpJson(url: string, init?: { method?: string; body?: unknown }): Promise<HttpAnswer> {
  const res = await fetch(url, {
    method: init?.method ?? (init?.body === undefined ? "GET" : "POST"),
    ...(init?.body === undefined ? {} : { headers: { "Content-Type": "application/json" }, body: JSON.stringify(init.body) }),
  });
  const text = await res.text();
  return { status: res.status, data: parseJson(text), text };
}

export const isJobView = (d: Record<string, unknown> | undefined): d is Record<string, unknown> & JobView =>
  d !== undefined && typeof d["jobId"] === "string" && typeof d["status"] === "string" && typeof d["counts"] === "object" && typeof d["shards"] === "object";

/** `running     1,234 of 4,512 re-encrypted · shards 2 running, 1 done of 3 · 820 versions/s · eta 4 s` */
export function progressLine(v: JobView, total?: number): string {
  const c = v.counts;
  const of = total !== undefined ? ` of ${n(total)}` : v.estimatedVersions !== undefined ? ` of ~${n(v.estimatedVersions)}` : "";
  const parts = [`${n(c.reencrypted)}${of} re-encrypted${c.failed > 0 ? `, ${n(c.failed)} failed` : ""}`];
  const s = v.shards;
  parts.push(`shards ${s.running} running, ${s.done} done${s.stalled > 0 ? `, ${s.stalled} stalled` : ""} of ${s.total}`);
  if (v.rate !== undefined && (v.status === "running" || v.status === "stalled")) parts.push(`${n(v.rate)} versions/s`);
  if (v.etaSeconds !== undefined) parts.push(`eta ${n(v.etaSeconds)} s`);
  return `${v.status.padEnd(10)} ${parts.join(" · ")}`;
}

/** The status as `npm run job` prints it: what a reader needs, in a few aligned lines. */
export function describeJob(v: JobView): string[] {
  const c = v.counts;
  const lines = [
    `job       ${v.jobId}`,
    `origin    ${v.origin}`,
    `status    ${v.status}${v.message ? ` (${v.message})` : ""}`,
    `counts    ${n(c.matched)} matched · ${n(c.reencrypted)} re-encrypted · ${n(c.failed)} failed · ${n(c.skipped)} skipped`,
    `shards    ${v.shards.total} total · ${v.shards.running} running · ${v.shards.done} done · ${v.shards.stalled} stalled`,
    `time      created ${v.createdAt}${v.finishedAt ? `, finished ${v.finishedAt}` : `, updated ${v.updatedAt}`} · ${v.invocations} invocation${v.invocations === 1 ? "" : "s"}`,
  ];
  if (v.rate !== undefined) lines.push(`rate      ${n(v.rate)} versions/s${v.etaSeconds !== undefined ? ` · eta ${n(v.etaSeconds)} s` : ""}`);
  for (const f of v.failures.slice(0, 5)) lines.push(`failure   ${f.bucket}/${f.object}: ${f.status} ${f.code}${f.hint ? ` (${f.hint})` : ""}`);
  if (v.failures.length > 5) lines.push(`failure   … ${v.failures.length - 5} more in the record`);
  lines.push(`reports   ${v.reports.length === 0 ? "none yet" : v.reports.join("\n          ")}`);
  if (v.summary) lines.push(`summary   ${v.summary}`);
  return lines;
}
