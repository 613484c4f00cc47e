import { createHash } from "node:crypto";
import { expect } from "vitest";
import type { Emulator } from "../../src/local/emulator/index.js";
import type { LocalStack } from "../../src/local/local-stack.js";

export const MUTATING = new Set(["ReencryptObject", "ReencryptBucket", "PutObject", "DeleteObject", "CreateKeyVersion", "InvokeFunction"]);

/** State-changing calls the emulator received: a write refused by its precondition (412) changes nothing. */
export const mutations = (em: Emulator): number => em.requests.filter((r) => MUTATING.has(r.operation) && r.status !== 412).length;

export const sha = (b64: string): string => createHash("sha256").update(Buffer.from(b64, "base64")).digest("base64");

export const gateway = { method: "POST", url: "/reencrypt", headers: { "Content-Type": "application/json" } };

/** Every request the emulator saw carried a valid OCI signature. */
export function expectAllSigned(em: Emulator): void {
  const bad = em.requests.filter((r) => !r.signatureValid);
  expect(bad.map((r) => `${r.operation} ${r.path} ${r.signatureError ?? ""}`)).toEqual([]);
}

/** What the function published and posted: every Notifications message (title and body) and every PostMetricData body. */
export function sentToOperators(em: Emulator): string {
  const messages = em.notifications.messages.map((m) => `${m.title ?? ""}\n${m.body}`);
  const metrics = em.requests.filter((r) => r.operation === "PostMetricData" || r.operation === "PublishMessage").map((r) => JSON.stringify(r.body ?? null));
  return [...messages, ...metrics].join("\n");
}

/**
 * No key material anywhere in what the function printed, answered, published to its topic or
 * posted as metrics: each key in base64, base64url, hex (either case) and as its raw bytes' text.
 */
export function expectNoKeyMaterial(stack: LocalStack, keys: string[], responses: string[]): void {
  const haystack = [stack.fn.stdout(), stack.fn.stderr(), ...responses, sentToOperators(stack.emulator)].join("\n");
  for (const k of keys) {
    const raw = Buffer.from(k, "base64");
    expect(haystack.includes(k), "an SSE-C key appeared in output").toBe(false);
    expect(haystack.includes(raw.toString("base64url")), "an SSE-C key (base64url) appeared in output").toBe(false);
    expect(haystack.toLowerCase().includes(raw.toString("hex")), "an SSE-C key (hex) appeared in output").toBe(false);
    expect(haystack.includes(raw.toString("latin1")), "an SSE-C key (raw bytes) appeared in output").toBe(false);
  }
  expect(haystack).not.toMatch(/BEGIN (RSA |EC |ENCRYPTED )?PRIVATE KEY|PRIVATE KEY-----/);
}

export function wrapOf(em: Emulator, bucket: string, name: string, versionId?: string) {
  const v = em.state.objectVersions(bucket, name).find((x) => x.name === name && (versionId === undefined || x.versionId === versionId) && !x.isDeleteMarker);
  if (!v) throw new Error(`no version of ${bucket}/${name}`);
  return v;
}
