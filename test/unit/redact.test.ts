// Issue 16 item 6: key material in service text is found through normal forms of the text, not a
// list of encodings. A key the process knows is found however it is split, escaped or cased, even
// in part; an unknown key is caught by the heuristics where it stands.
import { randomBytes } from "node:crypto";
import { describe, expect, it } from "vitest";
import { sseCKeyFromRaw } from "../../src/keys/sse-c-key.js";
import { createLogger } from "../../src/log.js";
import { toOciFailure } from "../../src/oci/oci-failure.js";
import { holdsKnownKey, redactKnownKeys, redactText } from "../../src/redact.js";

const raw = randomBytes(32);
sseCKeyFromRaw(raw); // the process now knows this key, as after resolving a job's SSE-C key
const b64 = raw.toString("base64");
const hex = raw.toString("hex");
const groups = (s: string, n: number): string[] => s.match(new RegExp(`.{1,${n}}`, "g")) as string[];

/** The encodings, and a few more a normaliser gets for free. */
export const encodings = (k: Buffer): Array<[string, string]> => {
  const b = k.toString("base64");
  const h = k.toString("hex");
  return [
    ["base64 split by spaces", groups(b, 4).join(" ")],
    ["base64 split by newlines", groups(b, 11).join("\n")],
    ["colon-separated hex", groups(h, 2).join(":")],
    ["colon-separated upper-case hex", groups(h.toUpperCase(), 2).join(":")],
    ["8-digit-grouped hex", groups(h, 8).join(" ")],
    ["dash-grouped hex", groups(h, 4).join("-")],
    ["double percent-encoding", encodeURIComponent(encodeURIComponent(b))],
    ["triple percent-encoding", encodeURIComponent(encodeURIComponent(encodeURIComponent(b)))],
    ["every character percent-encoded", [...b].map((c) => `%${c.charCodeAt(0).toString(16).padStart(2, "0")}`).join("")],
    ["\\u escapes", [...b].map((c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`).join("")],
    ["base64url split by dots", groups(k.toString("base64url"), 6).join(".")],
    ["base64 split by dashes", groups(b, 4).join("-")],
    ["the first 30 characters of the base64", b.slice(0, 30)],
    ["the last 26 characters of the hex, grouped", groups(h.slice(-26), 2).join(":")],
  ];
};

describe("redaction by normal forms (known keys)", () => {
  it.each(encodings(raw))("finds a known key written as %s, and replaces the whole text", (_label, form) => {
    const text = `InvalidParameter: the key ${form} is not valid for object a/b.txt`;
    expect(holdsKnownKey(text)).toBe(true);
    expect(redactText(text)).toBe("[redacted: the text held key material]");
    expect(redactKnownKeys(text)).toBe("[redacted: the text held key material]");
  });

  it("leaves text without a known key as it was (names, OCIDs, request ids, short runs of the key)", () => {
    const texts = [
      "The object a/b/c.txt was not found in bucket data (opc-request-id 4F1C2A9B8D7E6F5A4B3C2D1E0F9A8B7C)",
      "ocid1.key.oc1.iad.aaaabbbbccccddddeeeeffffgggghhhh",
      `a fragment ${b64.slice(0, 12)} and ${hex.slice(0, 12)} is too short to be the key`,
    ];
    for (const t of texts) expect(redactText(t)).toBe(t);
  });

  it("redacts every service field of a failure: message, code and opc-request-id", () => {
    const form = groups(hex, 8).join(" ");
    const f = toOciFailure({ statusCode: 400, serviceCode: `Bad${encodeURIComponent(encodeURIComponent(b64))}`, message: `echo ${form}`, opcRequestId: groups(hex, 2).join(":") });
    expect(f.message).not.toContain(hex.slice(0, 8));
    expect(f.code).toBe("[redacted: the text held key material]");
    expect(f.opcRequestId).toBe("[redacted: the text held key material]");
    expect(JSON.stringify(f)).not.toMatch(new RegExp(hex.slice(0, 8), "i"));
  });

  it("searches every string field a log line carries", () => {
    const lines: string[] = [];
    const log = createLogger("info", {}, (l) => lines.push(l));
    log.warn("checkpoint failed", { error: `service said ${groups(b64, 4).join(" ")}`, nested: { deeper: groups(hex, 2).join(":") }, jobId: "2f1d6c3e-0d3b-4b7a-9d51-7f3b4b0c1a11" });
    const line = lines[0] as string;
    expect(JSON.parse(line)).toMatchObject({ level: "warn", msg: "checkpoint failed", jobId: "2f1d6c3e-0d3b-4b7a-9d51-7f3b4b0c1a11", error: "[redacted: the text held key material]", nested: { deeper: "[redacted: the text held key material]" } });
  });
});

describe("redaction by heuristics (unknown keys)", () => {
  it("redacts hex of a key it never saw, written in groups, where it stands", () => {
    const unknown = randomBytes(32).toString("hex");
    for (const form of [groups(unknown, 2).join(":"), groups(unknown, 8).join(" "), groups(unknown.toUpperCase(), 4).join("-")]) {
      const out = redactText(`echo ${form} end`);
      expect(out).toBe("echo [redacted] end");
    }
  });

  it("leaves dates, addresses and one UUID alone", () => {
    const t = "at 2026-12-01 10:00:00 from 10.0.0.1, request 2f1d6c3e-0d3b-4b7a-9d51-7f3b4b0c1a11 and 2f1d6c3e-0d3b-4b7a-9d51-7f3b4b0c1a12";
    expect(redactText(t)).toBe(t);
  });

  it("stays linear on long hex and separator runs", () => {
    const t = `${"0123456789abcdef".repeat(4096)} ${"a:".repeat(30_000)}`;
    const started = process.hrtime.bigint();
    redactText(t);
    // Generous: a backtracking pattern would take minutes here.
    expect(Number(process.hrtime.bigint() - started) / 1e6).toBeLessThan(2_000);
  });
});
