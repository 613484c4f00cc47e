import type { Emulator } from "../emulator/index.js";

// The demo's "OPERATIONS" section: what its jobs told operators (contract §13), read from the
// emulator: every message published to the topic, and the metrics posted, summed per stream.

const n = (x: number): string => Math.round(x).toLocaleString("en-US");

function describeMessage(body: string): string {
  try {
    const b = JSON.parse(body) as Record<string, unknown>;
    if (b["event"] === "job-finished") {
      const c = (b["counts"] ?? {}) as Record<string, number>;
      const d = typeof b["durationSeconds"] === "number" ? `, ${b["durationSeconds"]} s` : "";
      const what = b["status"] === "dry-run" ? `${n(c["matched"] ?? 0)} matched, nothing changed` : `${n(c["reencrypted"] ?? 0)} re-encrypted, ${n(c["failed"] ?? 0)} failed`;
      return `${what}${d}${typeof b["report"] === "string" ? `, report ${b["report"]}` : ""}`;
    }
    if (b["event"] === "jobs-stalled") {
      const jobs = (b["jobs"] ?? []) as { jobId: string; resumed: boolean }[];
      return jobs.map((j) => `${j.jobId} ${j.resumed ? "resumed by the sweep" : "not resumed yet"}`).join("; ");
    }
    return String(b["event"] ?? "");
  } catch {
    return `${body.length} characters`;
  }
}

export function renderOpsSection(em: Emulator, topicId: string, namespace: string): string {
  const lines: string[] = [];
  const messages = em.notifications.messagesFor(topicId);
  const topic = em.notifications.topics.get(topicId);
  lines.push(`OPERATIONS: what operators were told (contract §13; docs/operations.md)`);
  lines.push(`  Notifications topic ${topic?.name ?? topicId} (REENCRYPT_NOTIFY_TOPIC): ${messages.length} message${messages.length === 1 ? "" : "s"}`);
  const width = Math.max(0, ...messages.map((m) => (m.title ?? "").length));
  for (const m of messages) lines.push(`    ${(m.title ?? "").padEnd(width)}  ${describeMessage(m.body)}`);

  const posts = em.metrics.posts.filter((p) => p.status === 200);
  // Counters summed per stream; durations listed one per job.
  const sums = new Map<string, number[]>();
  for (const p of em.metrics.points({ namespace })) {
    const key = `${p.name}${Object.entries(p.dimensions).map(([k, v]) => ` ${k}=${v}`).join("")}`;
    sums.set(key, [...(sums.get(key) ?? []), p.value]);
  }
  const most = Math.max(0, ...posts.map((p) => p.streams));
  lines.push(
    `  Monitoring namespace ${namespace}: ${posts.length} PostMetricData call${posts.length === 1 ? "" : "s"} (at most ${most} streams in one, at most ${em.metrics.maxCallsInOneSecond} calls in one second; the limits are 50 and 50)`,
  );
  const keyWidth = Math.max(0, ...[...sums.keys()].map((k) => k.length));
  for (const [k, v] of [...sums.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`    ${k.padEnd(keyWidth)}  ${k.startsWith("JobDurationSeconds") ? v.map((x) => `${x.toFixed(1)} s`).join(", ") : n(v.reduce((a, b) => a + b, 0))}`);
  }
  lines.push("  Version counts are work done: what a killed container had in flight or not yet checkpointed is redone and counted");
  lines.push("  again (the job record counts each version once). The Terraform module's alarms read these metrics:");
  lines.push("  VersionsFailed[5m].sum() > 0 and JobsStalled[15m].max() > 0, aimed at the same topic.");
  return lines.join("\n");
}
