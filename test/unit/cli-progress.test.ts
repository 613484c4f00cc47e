import { describe, expect, it } from "vitest";
import { createProgress, formatDuration, rateMeter, resolveProgressMode } from "../../src/cli/progress-display.js";

const sink = () => {
  const lines: string[] = [];
  return { lines, stream: { write: (s: string) => lines.push(s), isTTY: false } as unknown as NodeJS.WriteStream };
};

describe("progress", () => {
  it("JSON lines at most every interval, with rate, total and ETA; the last one always", () => {
    let t = 0;
    const out = sink();
    const p = createProgress("json", { jobId: "j", intervalMs: 1000, stream: out.stream, now: () => t });
    for (let i = 0; i <= 10; i++) {
      t = i * 500;
      p.update({ done: i * 50, reencrypted: i * 50, failed: 0, skipped: 0, total: 1000 });
    }
    p.stop({ done: 1000, reencrypted: 999, failed: 1, skipped: 0, total: 1000 });
    const records = out.lines.map((l) => JSON.parse(l));
    expect(records.length).toBe(7);
    expect(records[3]).toMatchObject({ event: "progress", jobId: "j", done: 300, total: 1000, ratePerSecond: 100, etaSeconds: 7, elapsedSeconds: 3 });
    expect(records[records.length - 1]).toMatchObject({ done: 1000, failed: 1 });
  });

  it("takes a job record's own rate and ETA, and never shows a total below what is done", () => {
    const out = sink();
    const p = createProgress("json", { jobId: "j", intervalMs: 0, stream: out.stream, now: () => 0 });
    p.update({ done: 120, reencrypted: 120, failed: 0, skipped: 0, total: 100, rate: 40, etaSeconds: 9, status: "running" });
    expect(JSON.parse(out.lines[0] as string)).toMatchObject({ total: 120, ratePerSecond: 40, etaSeconds: 9, status: "running" });
  });

  it("a bar on a terminal, JSON lines elsewhere", () => {
    expect(resolveProgressMode("auto", { isTTY: true } as NodeJS.WriteStream)).toBe("bar");
    expect(resolveProgressMode("auto", { isTTY: false } as NodeJS.WriteStream)).toBe("json");
    expect(resolveProgressMode("none", { isTTY: true } as NodeJS.WriteStream)).toBe("none");
  });

  it("rate over the last ten seconds; durations for people", () => {
    let t = 0;
    const meter = rateMeter(() => t);
    meter(0);
    t = 20_000;
    meter(100);
    t = 30_000;
    expect(meter(1100)).toBe(100);
    expect(formatDuration(59)).toBe("59s");
    expect(formatDuration(61)).toBe("1m01s");
    expect(formatDuration(3700)).toBe("1h01m");
    expect(formatDuration(undefined)).toBe("?");
  });
});
