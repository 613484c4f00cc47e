// OCI Monitoring's PostMetricData, as oci-monitoring's MonitoringClient sends it (POST
// /20180401/metrics, a PostMetricDataDetails body), through our signing HTTP client: the bundle
// carries no oci-monitoring. It goes to the telemetry-ingestion endpoint, not telemetry.

import type * as common from "oci-common";
import { jsonCall } from "./json-call.js";
import type { CallLimits } from "./notifications.js";

export const MONITORING_INGESTION_ENDPOINT_TEMPLATE = "https://telemetry-ingestion.{region}.{secondLevelDomain}";
const API_VERSION = "20180401";

/** Monitoring's limit: unique metric streams in one PostMetricData call. */
export const MAX_STREAMS_PER_CALL = 50;

/** One metric stream's new data points (MetricDataDetails). */
export interface MetricData {
  namespace: string;
  compartmentId: string;
  name: string;
  dimensions: Record<string, string>;
  metadata?: Record<string, string>;
  datapoints: { timestamp: string; value: number; count?: number }[];
}

export interface PostResult {
  failedMetricsCount: number;
  /** The failures' names and messages (never their data points). */
  failed: { name: string; message: string }[];
}

export interface Monitoring {
  /** PostMetricData (NON_ATOMIC), one attempt; at most MAX_STREAMS_PER_CALL streams. */
  postMetricData(metricData: MetricData[], limits: CallLimits): Promise<PostResult>;
}

export function createMonitoring(http: common.HttpClient, baseUrl: string): Monitoring {
  const uri = `${baseUrl.replace(/\/+$/, "")}/${API_VERSION}/metrics`;
  return {
    async postMetricData(metricData, limits) {
      if (metricData.length === 0) return { failedMetricsCount: 0, failed: [] };
      if (metricData.length > MAX_STREAMS_PER_CALL) throw new RangeError(`PostMetricData takes at most ${MAX_STREAMS_PER_CALL} streams, got ${metricData.length}`);
      const r = await jsonCall(http, "PostMetricData", { method: "POST", uri, body: { metricData, batchAtomicity: "NON_ATOMIC" }, ...limits });
      const o = (r.json ?? {}) as { failedMetricsCount?: unknown; failedMetrics?: unknown };
      const failed = Array.isArray(o.failedMetrics)
        ? o.failedMetrics.map((f: { message?: unknown; metricData?: { name?: unknown } }) => ({ name: String(f.metricData?.name ?? ""), message: String(f.message ?? "") }))
        : [];
      return { failedMetricsCount: typeof o.failedMetricsCount === "number" ? o.failedMetricsCount : failed.length, failed };
    },
  };
}
