import { randomBytes } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createLogger, redactText, routeConsole, sdkLogger } from "../../src/log.js";

const key = randomBytes(32);
const b64 = key.toString("base64");
const hexLower = key.toString("hex");
const hexUpper = hexLower.toUpperCase();

function capture(level: "debug" | "info" = "info") {
  const lines: string[] = [];
  const log = createLogger(level, {}, (line) => lines.push(line));
  return { lines, log };
}

let restore: (() => void) | undefined;
afterEach(() => {
  restore?.();
  restore = undefined;
});

describe("redactText", () => {
  it.each([
    ["base64", b64],
    ["lowercase hex", hexLower],
    ["uppercase hex", hexUpper],
    ["hex inside a longer run", `key=${hexLower}ff`],
    ["hex after a slash", `/n/ns/${hexLower}`],
  ])("removes a 32-byte key written in %s", (_label, text) => {
    const out = redactText(`before ${text} after`);
    expect(out).not.toContain(b64);
    expect(out).not.toContain(hexLower);
    expect(out).not.toContain(hexUpper);
    expect(out).toContain("[redacted]");
  });

  it("leaves OCIDs, names and short hex alone", () => {
    const text =
      "ocid1.bucket.oc1.iad.aaaaaaaaba3pv6wkcr4jqae5f15p2b2m2yt2j6rx32uzr4h25vqstifsfdsq reports/2025/01/02/a.jsonl opc-request-id 4F1C2A9B8D7E6F5A4B3C2D1E0F9A8B7C";
    expect(redactText(text)).toBe(text);
  });
});

describe("routeConsole", () => {
  it("turns a console.warn with a newline and keys into one JSON line without the keys", () => {
    const { lines, log } = capture();
    restore = routeConsole(() => log);
    console.warn(`Request cannot be resolved.\n{"level":"error","msg":"forged"} key ${b64} hex ${hexLower} ${hexUpper}`);
    restore();
    restore = undefined;
    expect(lines).toHaveLength(1);
    const line = lines[0] as string;
    expect(line).not.toContain("\n");
    const record = JSON.parse(line) as Record<string, unknown>;
    expect(record).toMatchObject({ level: "warn", source: "console" });
    expect(record["msg"]).toContain('\n{"level":"error","msg":"forged"}');
    for (const k of [b64, hexLower, hexUpper]) expect(line).not.toContain(k);
  });

  it("sends every console method through the logger, each call one line", () => {
    const { lines, log } = capture("debug");
    restore = routeConsole(() => log);
    console.log("a %s", "b");
    console.info("info");
    console.debug("debug");
    console.error(new Error("boom"));
    console.dir({ nested: { deep: true } });
    restore();
    restore = undefined;
    const records = lines.map((l) => JSON.parse(l) as { level: string; msg: string });
    expect(records.map((r) => r.level)).toEqual(["info", "info", "debug", "error", "info"]);
    expect(records[0]?.msg).toBe("a b");
    expect(records[3]?.msg).toContain("Error: boom");
  });

  it("puts the OCI SDK's retrier lines at debug level, so an info logger drops them", () => {
    const { lines, log } = capture("info");
    restore = routeConsole(() => log);
    console.warn("Request cannot be retried. Not Retrying. Exception occurred : OciError: {\"message\":\"no such object\\nx\"}");
    console.warn("All retry attempts have exhausted. Total Attempts : 3. Last exception occurred : [object Object]");
    console.warn("Request failed with Exception : x\nRetrying request -> Total Attempts : 1, Retrying after 1 seconds...");
    expect(lines).toEqual([]);
  });

  it("bounds a very long message", () => {
    const { lines, log } = capture();
    restore = routeConsole(() => log);
    console.log("x".repeat(100_000));
    expect(lines).toHaveLength(1);
    expect(lines[0]?.length).toBeLessThan(5_000);
  });
});

describe("sdkLogger", () => {
  it("writes oci-common's warnings and errors as redacted JSON lines; its info chatter is debug", () => {
    const { lines, log } = capture("debug");
    const sdk = sdkLogger(() => log, "info");
    sdk.debug("Calling operation ObjectStorageClient#reencryptObject.");
    sdk.info("ObjectStorageClient endpoint set to https://objectstorage.us-ashburn-1.oraclecloud.com");
    sdk.error("error from defaultErrorFunction: ", { message: `bad key ${b64}` });
    expect(lines).toHaveLength(1);
    const record = JSON.parse(lines[0] as string) as Record<string, unknown>;
    expect(record).toMatchObject({ level: "error", source: "oci-sdk" });
    expect(lines[0]).not.toContain(b64);
  });
});

describe("redactText: the other forms of a key", () => {
  it("redacts a 32-byte key written as base64url or percent-encoded base64", () => {
    for (let i = 0; i < 200; i++) {
      const raw = randomBytes(32);
      const b64 = raw.toString("base64");
      for (const form of [b64, raw.toString("base64url"), encodeURIComponent(b64), raw.toString("hex"), raw.toString("hex").toUpperCase()]) {
        expect(redactText(`echo: ${form} end`)).not.toContain(form);
      }
    }
    expect(redactText("ocid1.key.oc1.iad.aaaabbbbccccddddeeeeffffgggghhhh and a/short/name")).toBe("ocid1.key.oc1.iad.aaaabbbbccccddddeeeeffffgggghhhh and a/short/name");
  });
});
