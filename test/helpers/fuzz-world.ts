// The world the fuzz test runs in: one emulator seed and one function configuration, with a
// state bucket (reference tokens, job records, status), allowed keys and buckets, a rule, inline
// keys allowed (so key material travels deep into the function), a secret that is not a key.

import { createHash, randomBytes } from "node:crypto";
import type { Emulator, Seed } from "../../src/local/emulator/index.js";

export const NS = "fzns";

/** Objects re-encryptions may name; "big" has enough for a job to be cut at a short deadline. */
export const OBJECTS: Record<string, readonly string[]> = {
  alpha: ["a/1", "a/2", "a b+c&d=e#f%g?.txt", "ünï/cødé ☃", "..", "a/../b", "x/y/z"],
  beta: ["b/1", "b/2", "b/3"],
  "gamma-1": ["in/new.csv", "in/old.csv", "out/x"],
  sealed: ["c/1", "c/2"],
};
export const SMALL_BUCKETS = Object.keys(OBJECTS);
export const BIG_COUNT = 3000;

/** Base64 of the key the "sealed" bucket's objects are encrypted with (a caller's inline sourceKey). */
export const SEALED_KEY = createHash("sha256").update("fuzz sealed key").digest("base64");
/** The text of a secret that is a key followed by garbage. */
export const JUNK_SECRET_KEY = randomBytes(32).toString("base64");

export const fuzzSeed: Seed = {
  namespace: NS,
  vaults: [{ name: "v", keys: [{ name: "k1" }, { name: "k2" }, { name: "kr" }] }],
  secrets: [
    { name: "s1", randomSseCKey: true },
    { name: "s2", randomSseCKey: true },
    { name: "junk", content: `${JUNK_SECRET_KEY}!!garbage`, encoding: "utf8" },
  ],
  buckets: [
    { name: "alpha", kmsKey: "k1", versioning: "Enabled", objects: (OBJECTS["alpha"] as string[]).map((name, i) => ({ name, versions: i < 3 ? 2 : 1 })) },
    { name: "beta", objects: (OBJECTS["beta"] as string[]).map((name) => ({ name })) },
    { name: "gamma-1", objectEventsEnabled: true, objects: (OBJECTS["gamma-1"] as string[]).map((name) => ({ name })) },
    { name: "sealed", objects: (OBJECTS["sealed"] as string[]).map((name) => ({ name, sseCustomerKey: SEALED_KEY })) },
    { name: "big", objects: [{ prefix: "p/", count: BIG_COUNT }] },
    { name: "outside", objects: [{ name: "o/1" }] },
    { name: "state" },
  ],
};

/** OCIDs of the seed, as the case generators need them (filled once the emulator runs). */
export interface WorldIds {
  keys: { k1: string; k2: string; kr: string };
  vault: string;
  secrets: { s1: string; s2: string; junk: string };
  /** Key material the function can get hold of through secrets (base64). */
  secretKeys: string[];
}

export function worldIds(em: Emulator): WorldIds {
  const id = (m: Record<string, string>, n: string): string => {
    const v = m[n];
    if (v === undefined) throw new Error(`seed has no ${n}`);
    return v;
  };
  return {
    keys: { k1: id(em.seedIds.keys, "k1"), k2: id(em.seedIds.keys, "k2"), kr: id(em.seedIds.keys, "kr") },
    vault: id(em.seedIds.vaults, "v"),
    secrets: { s1: id(em.seedIds.secrets, "s1"), s2: id(em.seedIds.secrets, "s2"), junk: id(em.seedIds.secrets, "junk") },
    secretKeys: [id(em.seedIds.sseCKeys, "s1"), id(em.seedIds.sseCKeys, "s2"), JUNK_SECRET_KEY],
  };
}

export function fuzzConfig(ids: WorldIds): Record<string, string> {
  return {
    REENCRYPT_STATE_BUCKET: "state",
    REENCRYPT_ALLOWED_BUCKETS: "alpha,beta,gamma-*,sealed,big,state",
    REENCRYPT_ALLOWED_KEYS: [ids.keys.k1, ids.secrets.s1, ids.secrets.junk].join(","),
    REENCRYPT_ALLOW_INLINE_KEYS: "true",
    REENCRYPT_RULES: JSON.stringify([{ bucket: "gamma-*", prefix: "in/", kmsKeyId: ids.keys.kr }]),
    REENCRYPT_CONCURRENCY: "8",
    REENCRYPT_CHECKPOINT_SECONDS: "5",
  };
}
