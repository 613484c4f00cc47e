// Issue 16 item 2: self-contained tokens are signed (HMAC-SHA256 with the token secret's content)
// and a token with a bad or missing MAC is a 400 naming resume, found before anything is inflated.
import { createHmac, randomBytes } from "node:crypto";
import { deflateRawSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { decodeResumeToken, encodePortableToken, type PortableJob } from "../../src/contract/resume-token.js";
import { ReencryptError } from "../../src/errors.js";

const key = randomBytes(32);
const job: PortableJob = {
  spec: { id: "0d2f7a4e-1111-2222-3333-444455556666", origin: "request", units: [{ namespace: "ns", bucket: "b", scope: { kind: "prefix", prefix: "p/", allVersions: false }, key: { type: "bucket" } }], dryRun: false },
  work: { id: 0, units: [0, 1], cursor: { unit: 0, redo: [] } },
  totals: { matched: 3, reencrypted: 3, failed: 0, skipped: 0 },
  seq: 1,
  caller: "alice@example.com",
};

const refusal = (f: () => unknown): { status: number; path: string | undefined; message: string } => {
  try {
    f();
  } catch (e) {
    if (!(e instanceof ReencryptError)) throw e;
    return { status: e.status, path: e.issues[0]?.path, message: e.message };
  }
  throw new Error("not refused");
};

describe("signed self-contained tokens", () => {
  it("round-trip with their key, caller included, and say they are authenticated", () => {
    const t = encodePortableToken(job, key);
    expect(t).toMatch(/^r3\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]{43}$/);
    expect(decodeResumeToken(t, key)).toEqual({ kind: "portable", job, authenticated: true });
  });

  it("sign the exact encoded payload with HMAC-SHA256", () => {
    const t = encodePortableToken(job, key);
    const dot = t.lastIndexOf(".");
    expect(t.slice(dot + 1)).toBe(createHmac("sha256", key).update(t.slice(0, dot)).digest("base64url"));
  });

  it.each([
    ["a payload changed by one character", (t: string) => `r3.${t[3] === "A" ? "B" : "A"}${t.slice(4)}`],
    ["a MAC changed by one character", (t: string) => `${t.slice(0, -1)}${t.endsWith("A") ? "B" : "A"}`],
    ["the MAC cut short", (t: string) => t.slice(0, -5)],
    ["no MAC", (t: string) => t.slice(0, t.lastIndexOf("."))],
    ["an empty MAC", (t: string) => `${t.slice(0, t.lastIndexOf("."))}.`],
    ["the MAC of another key", () => encodePortableToken(job, randomBytes(32))],
    ["an unsigned token (r2)", () => encodePortableToken(job)],
    ["another job's payload under this MAC", (t: string) => `${encodePortableToken({ ...job, totals: { ...job.totals, reencrypted: 1e15 } }, key).slice(0, encodePortableToken(job, key).lastIndexOf("."))}${t.slice(t.lastIndexOf("."))}`],
  ])("refuses %s with a 400 naming resume", (_label, alter) => {
    const r = refusal(() => decodeResumeToken(alter(encodePortableToken(job, key)), key));
    expect(r.status).toBe(400);
    expect(r.path).toBe("resume");
    expect(r.message).toMatch(/resume token/);
  });

  it("checks the MAC before inflating: a signed-looking deflate bomb costs nothing", () => {
    const bomb = `r3.${deflateRawSync(Buffer.alloc(64 * 1024 * 1024, 0x20), { level: 9 }).toString("base64url")}.${"A".repeat(43)}`;
    const r = refusal(() => decodeResumeToken(bomb, key));
    expect(r.message).toContain("MAC");
  });

  it("refuses a signed token where no token secret is configured, and accepts unsigned ones there", () => {
    expect(refusal(() => decodeResumeToken(encodePortableToken(job, key))).message).toContain("REENCRYPT_TOKEN_SECRET_ID");
    expect(decodeResumeToken(encodePortableToken(job))).toMatchObject({ kind: "portable", authenticated: false });
  });
});
