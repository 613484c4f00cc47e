import { wrappingLabel, type EmulatorState, type Wrapping } from "../emulator/index.js";

export const ORACLE = "Oracle-managed";
export const SSE_C = "SSE-C";

/** "finance-key v2" for a Vault key version, else "Oracle-managed" / "SSE-C". */
export function columnOf(state: EmulatorState, w: Wrapping): string {
  if (w.kind === "oracle") return ORACLE;
  if (w.kind === "sse-c") return SSE_C;
  const key = state.key(w.kmsKeyId);
  const i = key?.versions.findIndex((kv) => kv.id === w.keyVersionId) ?? -1;
  return key && i >= 0 ? `${key.displayName} v${i + 1}` : wrappingLabel(w);
}

const fmt = (n: number): string => (n === 0 ? "-" : n.toLocaleString("en-US"));

/**
 * Buckets × key versions, from the emulator's ground truth (not from what the function claims).
 * Columns are every version that exists now, so a rotation adds one; cells split on 2+ spaces.
 */
export function renderWrappingTable(state: EmulatorState): string {
  const columns: string[] = [];
  for (const key of state.keys.values()) key.versions.forEach((_v, i) => columns.push(`${key.displayName} v${i + 1}`));
  columns.push(ORACLE, SSE_C);

  const perBucket: { bucket: string; counts: Map<string, number>; total: number }[] = [];
  for (const bucket of state.buckets.keys()) {
    const counts = new Map<string, number>();
    let total = 0;
    for (const v of state.objectVersions(bucket)) {
      if (v.isDeleteMarker) continue;
      const col = columnOf(state, v.wrapping);
      if (!columns.includes(col)) columns.push(col);
      counts.set(col, (counts.get(col) ?? 0) + 1);
      total++;
    }
    perBucket.push({ bucket, counts, total });
  }
  const rows = perBucket.map((b) => [b.bucket, ...columns.map((c) => fmt(b.counts.get(c) ?? 0)), fmt(b.total)]);
  const header = ["bucket", ...columns, "total"];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)));
  const line = (cells: string[]): string =>
    "  " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i] ?? 0) : c.padStart(widths[i] ?? 0))).join("   ").trimEnd();
  return [line(header), ...rows.map(line)].join("\n");
}
