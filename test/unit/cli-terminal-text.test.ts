import { describe, expect, it, vi } from "vitest";
import { createProgress } from "../../src/cli/progress-display.js";
import { csvField, csvGuard, csvLine, csvUnguard, parseCsvReport } from "../../src/cli/report-file.js";
import { drawTable, fitColumns, renderRecord } from "../../src/cli/table-render.js";
import { colourWanted, displayWidth, escapeControls, painter, terminalSafeJson, truncateText } from "../../src/cli/terminal-text.js";

const EVIL = "evil\u001b]0;PWNED-TITLE\u0007\u001b[2K\u001b[1A\u001b[31mFAKE-OK";

describe("text for the terminal", () => {
  it("spells out C0, DEL, C1 and bidi controls; leaves other text alone", () => {
    expect(escapeControls(EVIL)).toBe("evil\\e]0;PWNED-TITLE\\x07\\e[2K\\e[1A\\e[31mFAKE-OK");
    expect(escapeControls("a\nb\tc\rd\u007f\u009b31m\u202etxt.exe\u2066")).toBe("a\\nb\\tc\\rd\\x7f\\x9b31m\\u202etxt.exe\\u2066");
    expect(escapeControls("2024/Q1 report+final.pdf ü 日本")).toBe("2024/Q1 report+final.pdf ü 日本");
  });

  it("JSON stays exact and carries nothing a terminal acts on", () => {
    const value = { object: `${EVIL}\u009b\u202e\u2028x`, n: 1, nested: { list: ["\u007f"] } };
    const text = terminalSafeJson(value, 2);
    expect(JSON.parse(text)).toEqual(value);
    expect(text).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e\u2028]/);
    expect(text.split("\n")[1]).toBe('  "object": "evil\\u001b]0;PWNED-TITLE\\u0007\\u001b[2K\\u001b[1A\\u001b[31mFAKE-OK\\u009b\\u202e\\u2028x",');
  });

  it("colour on a terminal only, never with NO_COLOR or TERM=dumb", () => {
    expect(colourWanted({ isTTY: true }, {})).toBe(true);
    expect(colourWanted({ isTTY: false }, {})).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: "1" })).toBe(false);
    expect(colourWanted({ isTTY: true }, { NO_COLOR: "" })).toBe(true);
    expect(colourWanted({ isTTY: true }, { TERM: "dumb" })).toBe(false);
    expect(painter(true)("red", "x")).toBe("\u001b[31mx\u001b[39m");
    expect(painter(false)("red", "x")).toBe("x");
  });

  it("widths count wide characters twice; cuts end in an ellipsis", () => {
    expect(displayWidth("日本a")).toBe(5);
    expect(truncateText("abcdefgh", 5)).toBe("abcd…");
    expect(truncateText("日本日本", 5)).toBe("日本…");
    expect(truncateText("abc", 5)).toBe("abc");
  });
});

describe("CSV reports", () => {
  it("neutralises formula cells (OWASP: a leading ') and reads them back exactly", () => {
    for (const name of ["=HYPERLINK(\"http://x\",\"y\")", "+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "'quoted", "plain", "a,b", 'say "hi"', EVIL, "dir\\file\\x41\\e", "\u202etxt.exe", "a\u0085b"]) {
      const cell = csvField(name);
      expect(cell.replace(/^"|"$/g, "").replace(/""/g, '"').startsWith("=")).toBe(false);
      expect(csvUnguard(csvGuard(name))).toBe(name);
      expect(cell).not.toMatch(/[\u0000-\u001f\u007f-\u009f\u202e]/);
    }
    expect(csvField(EVIL)).toBe("evil\\e]0;PWNED-TITLE\\x07\\e[2K\\e[1A\\e[31mFAKE-OK");
    expect(csvField("dir\\file")).toBe("dir\\\\file");
    expect(csvField("=1+1")).toBe("'=1+1");
    expect(csvField("@x")).toBe("'@x");
    expect(csvField("-x")).toBe("'-x");
    expect(csvField(404)).toBe("404");
    const lines = [
      { namespace: "ns", bucket: "b", object: "=cmd|' /C calc'!A0", outcome: "failed" as const, status: 400, code: "InvalidParameter" },
      { namespace: "ns", bucket: "b", object: "line\nbreak, and \"quotes\"", versionId: "+v1=", outcome: "reencrypted" as const },
    ];
    const text = "namespace,bucket,object,versionId,outcome,status,code\r\n" + lines.map(csvLine).join("");
    const back = parseCsvReport(text);
    expect(back).toEqual([
      { namespace: "ns", bucket: "b", object: "=cmd|' /C calc'!A0", versionId: "", outcome: "failed", status: "400", code: "InvalidParameter" },
      { namespace: "ns", bucket: "b", object: "line\nbreak, and \"quotes\"", versionId: "+v1=", outcome: "reencrypted", status: "", code: "" },
    ]);
  });
});

describe("tables", () => {
  const plain = { paint: painter(false) };

  it("rows stay one line within the terminal's width: the widest columns are cut with an ellipsis", () => {
    expect(fitColumns([10, 50, 40], 60)).toEqual([10, 20, 20]);
    expect(fitColumns([10, 5, 40], 30)).toEqual([7, 5, 8]);
    expect(fitColumns([10, 5, 40], 20)).toEqual([6, 5, 6]);
    expect(fitColumns([10, 50], undefined)).toEqual([10, 50]);
    const t = drawTable(["a", "b"], [[{ lines: ["x".repeat(80)] }, { lines: ["y".repeat(80)] }]], { ...plain, width: 60 });
    for (const line of t.split("\n")) expect(displayWidth(line)).toBeLessThanOrEqual(60);
    expect(t).toContain("x…");
  });

  it("nested values are key: value lines, lists of objects their own tables, rows the answer left out counted", () => {
    const out = renderRecord(
      {
        jobId: "j",
        status: "dry-run",
        counts: { matched: 1500, reencrypted: 0, failed: 0, skipped: 0 },
        shards: { total: 2, done: 2, list: [{ id: 0, state: "done", counts: { matched: 1 } }, { id: 1, state: "done", counts: { matched: 2 } }] },
        problems: ["a problem that is long enough to be worth a line of its own, surely"],
        objects: Array.from({ length: 1000 }, (_, i) => ({ namespace: "ns", bucket: "b", object: `o/${i}` })),
      },
      { ...plain, totals: { objects: { total: 1500, restAt: "not in the answer" } } },
    );
    expect(out).toMatch(/│ counts +│ matched: 1500 · reencrypted: 0 · failed: 0 · skipped: 0 │/);
    expect(out).not.toContain('{"');
    expect(out).toMatch(/shards\.list \(2\):/);
    expect(out).toMatch(/│ 0 +│ done +│ matched: 1 +│/);
    expect(out).toMatch(/problems \(1\):\n {2}- a problem/);
    expect(out).toMatch(/objects \(1000 of 1500\):/);
    expect(out).toContain("… and 500 more (500 not in the answer)");
    expect(out.split("\n").filter((l) => l.includes("│ o/")).length).toBe(1000);
  });

  it("no JSON blob in a cell: diagnose's checklist is a table, its nested rule lists inline", () => {
    const out = renderRecord(
      {
        ok: false,
        rules: [{ id: "r", displayName: "on-rotate", isEnabled: false, eventTypes: ["a", "b"], buckets: [] }],
        checklist: [{ check: "state-bucket.write", status: "problem", detail: "x".repeat(300), fix: "do y" }],
      },
      { ...plain, width: 100 },
    );
    expect(out).not.toMatch(/[[{]"/);
    expect(out).toMatch(/│ on-rotate +│ false +│ a, b/);
    for (const line of out.split("\n")) expect(displayWidth(line)).toBeLessThanOrEqual(100);
  });
});

describe("bullets", () => {
  it("long lines wrap under their bullet within the width; more than 20 are counted, not printed", () => {
    const out = renderRecord({ warnings: Array.from({ length: 25 }, (_, i) => `warning ${i}: ${"word ".repeat(30)}`) }, { paint: painter(false), width: 60 });
    const lines = out.split("\n");
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(60);
    expect(lines.filter((l) => l.startsWith("  - "))).toHaveLength(20);
    expect(lines.filter((l) => l.startsWith("    word")).length).toBeGreaterThan(20);
    expect(out).toContain("… and 5 more (--output json has them all)");
  });
});

describe("the progress bar's lifetime", () => {
  it("leaves no timer behind: a note before the bar, a short job, a note after it stopped", () => {
    vi.useFakeTimers();
    try {
      const written: string[] = [];
      const stream = { isTTY: true, columns: 100, write: (s: string) => written.push(s), on: () => stream, removeListener: () => stream } as unknown as NodeJS.WriteStream;
      const p = createProgress("bar", { jobId: "j", intervalMs: 1000, stream });
      p.note("starting job j");
      p.stop({ done: 6, reencrypted: 6, failed: 0, skipped: 0, total: 6 });
      p.note("after the end");
      expect(vi.getTimerCount()).toBe(0);
      const q = createProgress("bar", { jobId: "k", intervalMs: 1000, stream });
      const stopWaiting = q.waiting("invoking");
      vi.advanceTimersByTime(1500);
      stopWaiting();
      q.update({ done: 1, reencrypted: 1, failed: 0, skipped: 0, total: 10 });
      q.note("in between");
      q.stop({ done: 10, reencrypted: 10, failed: 0, skipped: 0, total: 10 });
      expect(vi.getTimerCount()).toBe(0);
      expect(written.join("")).toContain("1s invoking");
    } finally {
      vi.useRealTimers();
    }
  });
});
