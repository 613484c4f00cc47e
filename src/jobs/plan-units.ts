import { MAX_LEFT_ALONE } from "../contract/job-spec-schema.js";
import type { KeyRule } from "../contract/rules.js";
import { bucketMethodNotPossible, rulesInBucket } from "../errors.js";
import { keyOfGovernor, planScope, rulesInBucket as rulesOf, wantedBy } from "../keys/governing-key.js";
import type { Logger } from "../log.js";
import type { BlockedUnit, JobSpec, LeftAlone, Unit } from "../model/job.js";
import type { BucketInfo, ObjectStore } from "../oci/object-store.js";
import { OciCallError, toOciFailure } from "../oci/oci-failure.js";

/** What a request's unit in a read-only bucket fails with: nothing is ever called on a replica. */
export const BUCKET_READ_ONLY: Omit<BlockedUnit, "message"> = { status: 409, code: "BucketReadOnly" };

export const readOnlyBlock = (namespace: string, bucket: string): BlockedUnit => ({
  ...BUCKET_READ_ONLY,
  message: `bucket ${namespace}/${bucket} is the destination of a replication policy (read-only): it is changed only by replication; nothing was called on it`,
});

const bucketName = (u: Pick<Unit, "namespace" | "bucket">): string => `${u.namespace}/${u.bucket}`;

/** GetBucket once per bucket of the job; a failure is kept as the bucket's answer. */
async function bucketsOf(units: readonly Unit[], store: ObjectStore): Promise<Map<string, BucketInfo | BlockedUnit>> {
  const out = new Map<string, BucketInfo | BlockedUnit>();
  for (const u of units) {
    const key = bucketName(u);
    if (out.has(key)) continue;
    try {
      out.set(key, await store.getBucket(u.namespace, u.bucket));
    } catch (error) {
      const f = error instanceof OciCallError ? error.failure : toOciFailure(error);
      // A service failure (5xx, no answer) is not a fact about the bucket: the request fails as a whole.
      if (f.status < 400 || f.status >= 500) throw error;
      out.set(key, { status: f.status, code: f.code, message: `GetBucket ${key}: ${f.message}` });
    }
  }
  return out;
}

const isBlocked = (b: BucketInfo | BlockedUnit): b is BlockedUnit => "code" in b && !("compartmentId" in b);

/** method "bucket": ReencryptBucket re-wraps the whole bucket with its own key, so only where that is what every scope wants. */
function assertBucketMethodFits(unit: Unit, b: BucketInfo, rules: readonly KeyRule[]): void {
  const other = rulesOf(rules, b).find(({ rule }) => rule.kmsKeyId !== b.kmsKeyId);
  if (other) {
    throw rulesInBucket(
      `bucket ${bucketName(unit)}: rule ${other.index} of REENCRYPT_RULES ({"bucket":"${other.rule.bucket}","prefix":"${other.rule.prefix}"}) gives its scope key ${other.rule.kmsKeyId}, and ReencryptBucket would move it onto the bucket's key; send the request without "method":"bucket" (the listing leaves that scope alone); nothing was done`,
    );
  }
  if (b.kmsKeyId === undefined) {
    throw bucketMethodNotPossible(
      `bucket ${bucketName(unit)} has no Vault key (Oracle-managed), and ReencryptBucket works only on a bucket with one; send the request without "method":"bucket"; nothing was done`,
    );
  }
}

/**
 * A request's units as the tenancy assigns keys (contract §11): each bulk unit lists only what its
 * key governs (first matching rule, else the bucket's key), and names what it leaves alone; a unit
 * in a read-only bucket fails without a call; a single object does what it names. Units with
 * nothing left to list are dropped (their scopes are in `leftAlone`).
 */
export async function planRequestUnits(spec: JobSpec, store: ObjectStore, rules: readonly KeyRule[], log: Logger): Promise<JobSpec> {
  const buckets = await bucketsOf(spec.units, store);
  const units: Unit[] = [];
  const leftAlone: LeftAlone[] = [];
  for (const unit of spec.units) {
    const b = buckets.get(bucketName(unit)) as BucketInfo | BlockedUnit;
    if (isBlocked(b)) {
      // An object target still does what it names: its own call says whether it may.
      if (unit.scope.kind === "object") units.push(unit);
      else units.push({ ...unit, blocked: b });
      continue;
    }
    if (b.isReadOnly) {
      units.push({ ...unit, blocked: readOnlyBlock(unit.namespace, unit.bucket) });
      continue;
    }
    if (unit.method === "bucket") assertBucketMethodFits(unit, b, rules);
    if (unit.scope.kind === "object" || unit.method === "bucket") {
      units.push(unit);
      continue;
    }
    const plan = planScope(rules, b, unit.scope.prefix, wantedBy(unit.key, b.kmsKeyId));
    leftAlone.push(...plan.leftAlone);
    if (plan.ranges.length === 0) continue;
    units.push({ ...unit, scope: { ...unit.scope, ...(plan.whole ? {} : { ranges: plan.ranges }) }, bucketKey: b.kmsKeyId ?? null });
  }
  if (leftAlone.length > 0) log.info("scopes left alone: other keys govern them", { jobId: spec.id, scopes: leftAlone.length });
  return { ...spec, units, ...(leftAlone.length > 0 ? { leftAlone: leftAlone.slice(0, MAX_LEFT_ALONE) } : {}) };
}

/** A rotation's or key change's unit for one bucket: every range the key governs, in one listing. */
export function planBucketUnit(b: BucketInfo, keyId: string | undefined, rules: readonly KeyRule[], bucketMethod: boolean): { unit: Unit | undefined; leftAlone: LeftAlone[] } {
  const onKey = b.kmsKeyId === keyId;
  const key: Unit["key"] = onKey || keyId === undefined ? { type: "bucket" } : { type: "kms", kmsKeyId: keyId };
  const plan = planScope(rules, b, "", (g) => keyOfGovernor(g) === keyId);
  if (plan.ranges.length === 0) return { unit: undefined, leftAlone: plan.leftAlone };
  const unit: Unit = {
    namespace: b.namespace,
    bucket: b.name,
    scope: { kind: "prefix", prefix: "", allVersions: true, ...(plan.whole ? {} : { ranges: plan.ranges }) },
    key,
    bucketKey: b.kmsKeyId ?? null,
    // ReencryptBucket only where it means exactly "the bucket key's newest version" for every scope (contract §11).
    ...(bucketMethod && onKey && keyId !== undefined && plan.whole ? { method: "bucket" as const } : {}),
  };
  return { unit, leftAlone: plan.leftAlone };
}
