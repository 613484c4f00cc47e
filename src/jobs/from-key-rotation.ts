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
import type { JobSpec, LeftAlone, SkippedBucket, Unit } from "../model/job.js";
import { MAX_JOB_UNITS, MAX_LEFT_ALONE } from "../contract/job-spec-schema.js";
import type { KeyRule } from "../contract/rules.js";
import { rulesInBucket } from "../keys/governing-key.js";
import { planBucketUnit } from "./plan-units.js";

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
  | { skip: string; key?: KeyInfo; skippedBuckets?: SkippedBucket[] }
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

export async function locateKey(kms: KeyManagement, keyId: string, vaultId: string | undefined, compartments: string[]): Promise<{ vault: VaultInfo; key: KeyInfo } | undefined> {
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
export async function discoverBuckets(store: ObjectStore, namespace: string, compartments: string[]): Promise<BucketInfo[]> {
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

export interface KeyUnitsPlan {
  units: Unit[];
  leftAlone: LeftAlone[];
  skippedBuckets: SkippedBucket[];
  estimatedVersions: number | undefined;
}

/**
 * Every version `keyId` governs in these buckets (contract §11): one unit per bucket over the
 * ranges the key governs there (the bucket's own scope when it is the bucket's key, and the
 * scopes rules give it), what other keys govern left alone. Read-only buckets are skipped and
 * named. `keyId` undefined: an Oracle-managed key (a bucket moved back to one).
 */
export function planKeyUnits(buckets: readonly BucketInfo[], keyId: string | undefined, rules: readonly KeyRule[], bucketMethod: boolean): KeyUnitsPlan {
  const units: Unit[] = [];
  const leftAlone: LeftAlone[] = [];
  const skippedBuckets: SkippedBucket[] = [];
  const counted: (number | undefined)[] = [];
  for (const b of buckets) {
    const uses = b.kmsKeyId === keyId || rulesInBucket(rules, b).some(({ rule }) => rule.kmsKeyId === keyId);
    if (!uses) continue;
    if (b.isReadOnly) {
      skippedBuckets.push({ namespace: b.namespace, bucket: b.name, reason: "read-only" });
      continue;
    }
    const p = planBucketUnit(b, keyId, rules, bucketMethod);
    leftAlone.push(...p.leftAlone);
    if (p.unit) {
      units.push(p.unit);
      counted.push(b.approximateCount);
    }
  }
  const estimatedVersions = counted.every((c) => c !== undefined) ? counted.reduce((a: number, c) => a + (c ?? 0), 0) : undefined;
  return { units, leftAlone, skippedBuckets, estimatedVersions };
}

export const planFields = (p: Pick<KeyUnitsPlan, "leftAlone" | "skippedBuckets">): Pick<JobSpec, "leftAlone" | "skippedBuckets"> => ({
  ...(p.leftAlone.length > 0 ? { leftAlone: p.leftAlone.slice(0, MAX_LEFT_ALONE) } : {}),
  ...(p.skippedBuckets.length > 0 ? { skippedBuckets: p.skippedBuckets.slice(0, MAX_JOB_UNITS) } : {}),
});

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

  const plan = planKeyUnits(buckets.filter(allowed), keyId, ctx.config.rules, ctx.config.rotationMethod === "bucket");
  if (plan.skippedBuckets.length > 0) ctx.log.info("read-only buckets (replication destinations) left alone", { buckets: plan.skippedBuckets.map((s) => s.bucket).slice(0, 50) });
  if (plan.units.length === 0) {
    if (plan.skippedBuckets.length > 0) return { skip: `key ${keyId} is used only in read-only buckets (replication destinations), which replication keeps`, key, skippedBuckets: plan.skippedBuckets };
    return { skip: `no bucket or rule scope uses key ${keyId}`, key };
  }
  const spec: JobSpec = { id: newJobId(), origin: "rotation", units: plan.units, dryRun: false, ...planFields(plan), keyVersion: { keyId, versionId: key.currentKeyVersion } };
  return { spec, key, estimatedVersions: plan.estimatedVersions };
}
