export interface BenchRow {
  name: string;
  value: string;
  baseline: string;
  ratio: string;
}

export const ratio = (value: number, baseline: number): string =>
  baseline > 0 && Number.isFinite(value / baseline) ? `${(value / baseline).toFixed(value / baseline < 0.1 ? 3 : 2)}×` : "n/a";

export function renderTable(rows: BenchRow[]): string {
  const header: BenchRow = { name: "metric", value: "value", baseline: "baseline", ratio: "ratio" };
  const all = [header, ...rows];
  const w = (k: keyof BenchRow): number => Math.max(...all.map((r) => r[k].length));
  const line = (r: BenchRow): string =>
    `${r.name.padEnd(w("name"))}   ${r.value.padStart(w("value"))}   ${r.baseline.padEnd(w("baseline"))}   ${r.ratio.padStart(w("ratio"))}`.trimEnd();
  const rule = "-".repeat(w("name") + w("value") + w("baseline") + w("ratio") + 9);
  return [line(header), rule, ...rows.map(line)].join("\n");
}
