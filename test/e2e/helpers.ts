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

/** No key material anywhere in what the function printed or answered. */
export function expectNoKeyMaterial(stack: LocalStack, keys: string[], responses: string[]): void {
  const haystack = [stack.fn.stdout(), stack.fn.stderr(), ...responses].join("\n");
  for (const k of keys) {
    expect(haystack.includes(k), "an SSE-C key appeared in output").toBe(false);
    expect(haystack.includes(Buffer.from(k, "base64").toString("hex")), "an SSE-C key (hex) appeared in output").toBe(false);
  }
  expect(haystack).not.toMatch(/BEGIN (RSA |ENCRYPTED )?PRIVATE KEY/);
}

export function wrapOf(em: Emulator, bucket: string, name: string, versionId?: string) {
  const v = em.state.objectVersions(bucket, name).find((x) => x.name === name && (versionId === undefined || x.versionId === versionId) && !x.isDeleteMarker);
  if (!v) throw new Error(`no version of ${bucket}/${name}`);
  return v;
}
