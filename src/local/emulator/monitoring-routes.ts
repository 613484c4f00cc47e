// OCI Monitoring's PostMetricData as oci-monitoring sends it (POST /20180401/metrics on the
// telemetry-ingestion endpoint), validated the way the service documents it: at most 50 streams a
// call, a namespace that starts with a letter and is not oci_/oracle_, 1 to 20 dimensions, data
// points within the last 2 hours (and 10 minutes ahead), and at most 50 calls a second per tenancy
// (429 beyond). NON_ATOMIC (the default) stores the valid streams and lists the others in a 200;
// ATOMIC refuses the whole call. Every call is kept in `em.metrics.posts`.

import { ApiError } from "./api-error.js";
import { jsonBody, type Reply, type Route, type RouteContext } from "./router.js";

export const MAX_STREAMS_PER_CALL = 50;
export const MAX_DIMENSIONS = 20;
const PAST_MS = 2 * 3_600_000;
const FUTURE_MS = 10 * 60_000;

export interface MetricStream {
  namespace: string;
  compartmentId: string;
  name: string;
  dimensions: Record<string, string>;
  metadata?: Record<string, string> | undefined;
  resourceGroup?: string | undefined;
  datapoints: { timestamp: string; value: number; count?: number | undefined }[];
}

export interface MetricsPost {
  at: number;
  /** Streams in the call, as sent. */
  streams: number;
  status: number;
  accepted: MetricStream[];
  failed: { message: string; name: string }[];
}

/** One accepted data point, flattened. */
export interface MetricPoint {
  namespace: string;
  compartmentId: string;
  name: string;
  dimensions: Record<string, string>;
  timestamp: string;
  value: number;
}

export class MetricsStore {
  /** Every PostMetricData call that reached the handler, refused ones included, in arrival order. */
  readonly posts: MetricsPost[] = [];
  /** Calls per second per tenancy before 429 (Monitoring's documented limit). */
  callsPerSecondLimit = 50;
  private window = { start: 0, calls: 0 };
  /** The most calls seen in one one-second window. */
  maxCallsInOneSecond = 0;

  /** Every accepted data point; `filter` narrows by name and dimension values. */
  points(filter: { name?: string; namespace?: string; dimensions?: Record<string, string> } = {}): MetricPoint[] {
    const out: MetricPoint[] = [];
    for (const p of this.posts) {
      for (const s of p.accepted) {
        if (filter.name !== undefined && s.name !== filter.name) continue;
        if (filter.namespace !== undefined && s.namespace !== filter.namespace) continue;
        if (filter.dimensions && Object.entries(filter.dimensions).some(([k, v]) => s.dimensions[k] !== v)) continue;
        for (const d of s.datapoints) out.push({ namespace: s.namespace, compartmentId: s.compartmentId, name: s.name, dimensions: s.dimensions, timestamp: d.timestamp, value: d.value });
      }
    }
    return out;
  }

  /** The sum of the accepted values of a metric (and dimensions). */
  sum(name: string, dimensions?: Record<string, string>): number {
    return this.points({ name, ...(dimensions ? { dimensions } : {}) }).reduce((a, p) => a + p.value, 0);
  }

  /** Counts a call in its one-second window; false past the limit. */
  admit(now: number): boolean {
    if (now - this.window.start >= 1000) this.window = { start: now, calls: 0 };
    this.window.calls++;
    this.maxCallsInOneSecond = Math.max(this.maxCallsInOneSecond, this.window.calls);
    return this.window.calls <= this.callsPerSecondLimit;
  }
}

const NAMESPACE = /^[A-Za-z][A-Za-z0-9_]*$/;
const RESERVED = /^(oci_|oracle_)/i;
const NAME = /^[A-Za-z][A-Za-z0-9._$-]*$/;
const RESOURCE_GROUP = /^[A-Za-z][A-Za-z0-9._$-]*$/;
const DIMENSION_KEY = /^[\x21-\x7e]{1,256}$/;

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Why a stream is refused, or undefined when it is valid. */
function problemOf(m: unknown, now: number): string | undefined {
  if (!isRecord(m)) return "metric data must be an object";
  if (typeof m["namespace"] !== "string" || !NAMESPACE.test(m["namespace"])) return "namespace must start with a letter and hold only letters, digits and underscores";
  if (RESERVED.test(m["namespace"])) return "namespace uses a reserved prefix (oci_, oracle_)";
  if (typeof m["compartmentId"] !== "string" || !/^ocid1\.(compartment|tenancy)\./.test(m["compartmentId"])) return "compartmentId must be a compartment OCID";
  if (typeof m["name"] !== "string" || !NAME.test(m["name"])) return "name must start with a letter and hold only letters, digits, . _ - $";
  if (m["resourceGroup"] !== undefined && (typeof m["resourceGroup"] !== "string" || !RESOURCE_GROUP.test(m["resourceGroup"]))) return "invalid resourceGroup";
  const dims = m["dimensions"];
  if (!isRecord(dims)) return "dimensions are required";
  const entries = Object.entries(dims);
  if (entries.length === 0 || entries.length > MAX_DIMENSIONS) return `1 to ${MAX_DIMENSIONS} dimensions are required`;
  for (const [k, v] of entries) {
    if (!DIMENSION_KEY.test(k)) return `dimension key "${k.slice(0, 40)}" is not valid`;
    if (typeof v !== "string" || v.length === 0 || v.length > 512) return `dimension ${k} must be a string of 1 to 512 characters`;
  }
  const points = m["datapoints"];
  if (!Array.isArray(points) || points.length === 0) return "at least one data point is required";
  for (const p of points) {
    if (!isRecord(p) || typeof p["value"] !== "number" || !Number.isFinite(p["value"])) return "a data point's value must be a number";
    const t = typeof p["timestamp"] === "string" ? Date.parse(p["timestamp"]) : Number.NaN;
    if (!Number.isFinite(t)) return "a data point's timestamp must be RFC 3339";
    if (t < now - PAST_MS || t > now + FUTURE_MS) return "a data point's timestamp must be less than two hours in the past and less than 10 minutes in the future";
    if (p["count"] !== undefined && !(typeof p["count"] === "number" && p["count"] > 0)) return "a data point's count must be greater than zero";
  }
  return undefined;
}

function postMetricData(store: MetricsStore, ctx: RouteContext): Reply {
  const now = Date.now();
  const post: MetricsPost = { at: now, streams: 0, status: 0, accepted: [], failed: [] };
  store.posts.push(post);
  const refuse = (status: number, code: string, message: string): never => {
    post.status = status;
    throw new ApiError(status, code, message);
  };
  if (!store.admit(now)) refuse(429, "TooManyRequests", `More than ${store.callsPerSecondLimit} PostMetricData calls in one second for this tenancy`);
  const body = jsonBody(ctx);
  if (!isRecord(body) || !Array.isArray(body["metricData"])) return refuse(400, "InvalidParameter", "metricData is required");
  const data = body["metricData"] as unknown[];
  post.streams = data.length;
  if (data.length === 0) refuse(400, "InvalidParameter", "metricData must hold at least one metric");
  if (data.length > MAX_STREAMS_PER_CALL) refuse(400, "InvalidParameter", `metricData holds ${data.length} metric streams; the limit is ${MAX_STREAMS_PER_CALL} per call`);
  const atomic = body["batchAtomicity"] === "ATOMIC";
  if (body["batchAtomicity"] !== undefined && !atomic && body["batchAtomicity"] !== "NON_ATOMIC") refuse(400, "InvalidParameter", "batchAtomicity must be ATOMIC or NON_ATOMIC");
  const failedMetrics: { message: string; metricData: unknown }[] = [];
  for (const m of data) {
    const problem = problemOf(m, now);
    if (problem === undefined) post.accepted.push(structuredClone(m) as MetricStream);
    else {
      failedMetrics.push({ message: problem, metricData: m });
      post.failed.push({ message: problem, name: isRecord(m) && typeof m["name"] === "string" ? m["name"] : "" });
    }
  }
  if (failedMetrics.length > 0 && (atomic || failedMetrics.length === data.length)) {
    post.accepted = [];
    refuse(400, "InvalidParameter", `${failedMetrics.length} of ${data.length} metric streams are not valid: ${failedMetrics[0]?.message ?? ""}`);
  }
  post.status = 200;
  return { status: 200, json: { failedMetricsCount: failedMetrics.length, ...(failedMetrics.length > 0 ? { failedMetrics } : {}) } };
}

export function monitoringRoutes(store: MetricsStore): Route[] {
  return [{ method: "POST", pattern: "/20180401/metrics", operation: "PostMetricData", handler: (ctx) => postMetricData(store, ctx) }];
}
