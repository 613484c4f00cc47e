// Metric data points wait here, summed per stream, until a post is due: at most one PostMetricData
// call per container every MIN_POST_INTERVAL (checkpoints of a shard included), or at the end of an
// invocation that ran a request or rotation job. Monitoring allows 50 calls per second per tenancy,
// shared with everything else posting there: with every shard at most one call per interval, the
// function stays at 10 calls per second or less however many shards run.

import type { Logger } from "../log.js";
import type { MetricData } from "../oci/monitoring.js";
import { OciCallError } from "../oci/oci-failure.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { Runtime } from "../runtime/runtime.js";
import { opsState, startCall } from "./in-flight.js";
import { batches } from "./metrics.js";

const MIN_POST_INTERVAL_MS = 5_000;
/** Calls per second the function's containers may make together, at most. */
const TENANCY_SHARE_PER_SECOND = 10;

/** At least 5 s, longer when many shards may run at once: REENCRYPT_MAX_PARALLEL / 10 per second. */
export const minPostIntervalMs = (maxParallel: number): number => Math.max(MIN_POST_INTERVAL_MS, (maxParallel * 1000) / TENANCY_SHARE_PER_SECOND);

const streamKey = (d: MetricData): string => `${d.name}\u0000${JSON.stringify(Object.entries(d.dimensions).sort())}`;

/** Adds data points: counters (one data point) are summed into the stream's pending one, others appended. */
export function addMetrics(rt: Runtime, data: readonly MetricData[], o: { sum: boolean }): void {
  if (!rt.metrics) return;
  const pending = opsState(rt).pending;
  for (const d of data) {
    const k = streamKey(d);
    const have = pending.get(k);
    if (!have) {
      pending.set(k, { ...d, datapoints: d.datapoints.map((p) => ({ ...p })) });
      continue;
    }
    const first = have.datapoints[0];
    const add = d.datapoints[0];
    if (o.sum && first && add && have.datapoints.length === 1 && d.datapoints.length === 1) {
      first.value += add.value;
      first.timestamp = add.timestamp;
    } else {
      have.datapoints.push(...d.datapoints);
    }
  }
}

/**
 * Posts what is pending when a post is due (or `force`): one call for up to 50 streams. A post
 * refused with 429 or 5xx puts its data back for the next one; a timeout drops it (it may have
 * been stored). Never throws; returns without waiting for the call.
 */
export function flushMetrics(rt: Runtime, dl: Deadlines, log: Logger, force: boolean): void {
  const m = rt.metrics;
  const s = opsState(rt);
  // A forced post (an invocation's end) does not wait for a checkpoint's post still in flight.
  if (!m || s.pending.size === 0 || (s.posting && !force)) return;
  const now = Date.now();
  if (!force && now - s.lastPostAt < minPostIntervalMs(rt.config.maxParallel)) return;
  const data = [...s.pending.values()];
  s.pending.clear();
  s.lastPostAt = now;
  s.posting = true;
  const sent = batches(data).map((batch) =>
    startCall(rt, dl, log, "metrics post", async (limits) => {
      try {
        const r = await m.client.postMetricData(batch, limits);
        if (r.failedMetricsCount > 0) log.warn("metrics post: some streams were refused", { failed: r.failedMetricsCount, first: r.failed[0]?.name, reason: r.failed[0]?.message.slice(0, 200) });
        else log.debug("metrics posted", { streams: batch.length });
      } catch (error) {
        const status = error instanceof OciCallError ? error.failure.status : 0;
        if (status === 429 || status >= 500) addMetrics(rt, batch, { sum: true });
        throw error;
      }
    }),
  );
  void Promise.all(sent).then(() => (s.posting = false));
}
