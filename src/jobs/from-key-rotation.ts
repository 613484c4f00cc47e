import type { KeyManagementRotationEventData } from "../contract/events.js";
import { KEY_AUTO_ROTATED_EVENT } from "../contract/event-types.js";
import type { Config } from "../config.js";
import { matchesBucketGlob } from "../glob.js";
import { sameNamespace } from "../same-namespace.js";
import type { Logger } from "../log.js";
import type { KeyInfo, KeyManagement, VaultInfo } from "../oci/key-management.js";
import type { BucketInfo, ObjectStore } from "../oci/object-store.js";
import { collectPages } from "../oci/paging.js";
import { newJobId } from "./from-request.js";
import type { JobSpec, Unit } from "../model/job.js";

export interface RotationContext {
  config: Config;
  store: ObjectStore;
  kms: KeyManagement;
  namespace: string;
  /** Where to look for buckets: REENCRYPT_COMPARTMENT_IDS, else the function's own compartment. */
  compartmentIds: string[];
  log: Logger;
  /** Stop waiting for currentKeyVersion at this instant. */
  waitUntil: number;
  pollMs?: number;
}

export type RotationDecision =
  | { spec: JobSpec; key: KeyInfo; estimatedVersions: number | undefined }
  | { skip: string; key?: KeyInfo }
  | { fail: string; status: number; code: string; key?: KeyInfo };

const str = (v: unknown): string | undefined => (typeof v === "string" && v.length > 0 ? v : undefined);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** What the event names: the key, the new key version if known, the vault if known. */
export function rotationTarget(data: KeyManagementRotationEventData): { keyId: string | undefined; keyVersionId: string | undefined; vaultId: string | undefined } {
  const extra = (data.additionalDetails ?? {}) as Record<string, unknown>;
  const isVersion = data.resourceId.startsWith("ocid1.keyversion.");
  return {
    keyId: isVersion ? str(extra["keyId"]) : data.resourceId,
    keyVersionId: isVersion ? data.resourceId : (str(extra["keyVersionId"]) ?? str(extra["currentKeyVersion"])),
    vaultId: str(extra["vaultId"]),
  };
}

async function locateKey(kms: KeyManagement, keyId: string, vaultId: string | undefined, compartments: string[]): Promise<{ vault: VaultInfo; key: KeyInfo } | undefined> {
  if (vaultId) {
    const vault = await kms.getVault(vaultId);
    const key = await kms.getKey(vault.managementEndpoint, keyId);
    return key ? { vault, key } : undefined;
  }
  // No vault in the payload: ask every vault we can see which one holds the key.
  for (const compartmentId of compartments) {
    for (const vault of await kms.listVaults(compartmentId)) {
      if (vault.lifecycleState !== "ACTIVE") continue;
      const key = await kms.getKey(vault.managementEndpoint, keyId);
      if (key) return { vault, key };
    }
  }
  return undefined;
}

/** Every bucket of the compartments, with its key (ListBuckets has no kmsKeyId: GetBucket each). */
async function discoverBuckets(store: ObjectStore, namespace: string, compartments: string[]): Promise<BucketInfo[]> {
  const out: BucketInfo[] = [];
  for (const compartmentId of compartments) {
    const names = await collectPages((page) => store.listBuckets(namespace, compartmentId, page));
    out.push(...(await mapLimit(names, 8, (name) => store.getBucket(namespace, name, { approximateCount: true }))));
  }
  return out;
}

async function mapLimit<T, R>(items: T[], limit: number, fn: (t: T) => Promise<R>): Promise<R[]> {
  const out: R[] = new Array(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

/**
 * A rotation event becomes one job over every version of every object wrapped by the key:
 * buckets whose key it is (re-encrypted with the bucket key) and the scopes of rules naming it
 * (re-encrypted with kmsKeyId). First Key Management must confirm the rotation.
 */
export async function jobFromKeyRotation(eventType: string, data: KeyManagementRotationEventData, ctx: RotationContext): Promise<RotationDecision> {
  const target = rotationTarget(data);
  if (!target.keyId) return { fail: "the event names a key version but not its key (data.additionalDetails.keyId)", status: 400, code: "InvalidEvent" };
  const keyId = target.keyId;
  const compartments = [...new Set([data.compartmentId, ...ctx.compartmentIds].filter((c): c is string => typeof c === "string" && c.length > 0))];
  const found = await locateKey(ctx.kms, keyId, target.vaultId, compartments);
  if (!found) return { fail: `key ${keyId} was not found in any vault of ${compartments.join(", ")}`, status: 404, code: "KeyNotFound" };
  let key = found.key;
  if (key.lifecycleState !== "ENABLED") return { skip: `key ${keyId} is ${key.lifecycleState}, not ENABLED`, key };
  if (eventType === KEY_AUTO_ROTATED_EVENT && key.lastRotationStatus === "FAILED") {
    return { skip: `the automatic rotation of key ${keyId} failed (lastRotationStatus FAILED): nothing to re-encrypt`, key };
  }
  // currentKeyVersion changes only once the service uses the new version for everything:
  // re-encrypting before that could wrap objects with the old version again.
  while (target.keyVersionId && key.currentKeyVersion !== target.keyVersionId) {
    if (Date.now() + (ctx.pollMs ?? 1000) > ctx.waitUntil) {
      return { fail: `key ${keyId}: currentKeyVersion is still ${key.currentKeyVersion}, not the new ${target.keyVersionId}; deliver the event again later`, status: 503, code: "RotationNotConfirmed", key };
    }
    await sleep(ctx.pollMs ?? 1000);
    key = (await ctx.kms.getKey(found.vault.managementEndpoint, keyId)) ?? key;
  }

  const state = ctx.config.stateBucket;
  const isState = (b: BucketInfo): boolean => state !== undefined && b.name === state.bucket && sameNamespace(b.namespace, state.namespace ?? ctx.namespace);
  const allowed = (b: BucketInfo): boolean => ctx.config.allowedBuckets === undefined || ctx.config.allowedBuckets.some((g) => matchesBucketGlob(g, b.namespace, b.name));
  const buckets = (await discoverBuckets(ctx.store, ctx.namespace, ctx.compartmentIds)).filter((b) => !isState(b));
  const outside = buckets.filter((b) => !allowed(b)).map((b) => b.name);
  if (outside.length > 0) ctx.log.warn("buckets outside REENCRYPT_ALLOWED_BUCKETS left alone", { buckets: outside.slice(0, 50) });

  const units: Unit[] = [];
  const whole = new Set<string>();
  for (const b of buckets.filter(allowed)) {
    if (b.kmsKeyId === keyId) {
      units.push({
        namespace: b.namespace,
        bucket: b.name,
        scope: { kind: "prefix", prefix: "", allVersions: true },
        key: { type: "bucket" },
        // ReencryptBucket only where it means exactly "the bucket key's newest version": never rule scopes.
        ...(ctx.config.rotationMethod === "bucket" ? { method: "bucket" as const } : {}),
      });
      whole.add(b.name);
    }
  }
  const rules = ctx.config.rules;
  rules.forEach((rule, i) => {
    if (rule.kmsKeyId !== keyId) return;
    for (const b of buckets.filter(allowed)) {
      if (whole.has(b.name) || !matchesBucketGlob(rule.bucket, b.namespace, b.name)) continue;
      // First match wins: objects an earlier rule claims for this bucket are that rule's.
      const earlier = rules.slice(0, i).filter((r) => matchesBucketGlob(r.bucket, b.namespace, b.name));
      if (earlier.some((r) => rule.prefix.startsWith(r.prefix))) continue;
      const exclude = earlier.map((r) => r.prefix).filter((p) => p.startsWith(rule.prefix));
      units.push({
        namespace: b.namespace,
        bucket: b.name,
        scope: { kind: "prefix", prefix: rule.prefix, allVersions: true, ...(exclude.length > 0 ? { exclude } : {}) },
        key: { type: "kms", kmsKeyId: keyId },
      });
    }
  });
  if (units.length === 0) return { skip: `no bucket or rule scope uses key ${keyId}`, key };
  const counts = buckets.filter((b) => units.some((u) => u.bucket === b.name)).map((b) => b.approximateCount);
  const estimatedVersions = counts.every((c) => c !== undefined) ? counts.reduce((a: number, c) => a + (c ?? 0), 0) : undefined;
  return { spec: { id: newJobId(), origin: "rotation", units, dryRun: false }, key, estimatedVersions };
}
