import type { ObjectRef } from "../model/failure.js";
import type { JobSpec, Unit } from "../model/job.js";
import { newJobId } from "./from-request.js";

// A retry: a new job of exactly what a finished job failed (issue 20 item 3), as S3 Batch
// Operations starts a job from a completion report's failed tasks. The report's failed lines are
// either versions (one ReencryptObject that failed) or units (a listing, a ReencryptBucket, an
// object target: the engine reports them with the unit's own name and no version).

export interface RetryPlan {
  spec: JobSpec;
  /** Failed versions retried one by one. */
  versions: number;
  /** Units retried as they were (their listing failed, or too many of their versions did). */
  units: number;
  /** Of those, units retried whole because their failed versions would not fit in one job: their other versions are done again. */
  widened: number;
  /** Failed lines no unit of the job covers (cannot happen with the engine's own reports): left out. */
  unmatched: number;
}

const covers = (u: Unit, f: ObjectRef): boolean => {
  if (u.namespace !== f.namespace || u.bucket !== f.bucket) return false;
  if (u.scope.kind === "object") return u.scope.object === f.object && (u.scope.versionId === undefined || f.versionId === undefined || u.scope.versionId === f.versionId);
  const s = u.scope;
  return f.object.startsWith(s.prefix) && !(s.exclude ?? []).some((e) => f.object.startsWith(e));
};

/** The unit a failed line names as a whole: its own name (prefix, "" for a bucket, the object target) and no version. */
const isUnitFailure = (u: Unit, f: ObjectRef): boolean =>
  f.versionId === undefined && u.namespace === f.namespace && u.bucket === f.bucket && (u.scope.kind === "prefix" ? u.scope.prefix === f.object : u.scope.object === f.object && u.scope.versionId !== undefined);

/**
 * The job that retries `failed` (every failed line of `old`'s report, or its record's failures when
 * those are all of them): a unit that failed as a whole is retried as it was; a failed version as
 * an object target with its unit's key (the latest version when the job did not list versions).
 * More than `maxUnits` targets: the units with the most failed versions are retried whole instead,
 * until it fits; never a failure left out. Order follows the old job's units, then the report.
 */
export function retrySpec(old: JobSpec, failed: readonly ObjectRef[], o: { maxUnits: number; origin?: JobSpec["origin"] }): RetryPlan {
  const whole = new Set<number>();
  const perUnit = new Map<number, Map<string, Unit>>();
  let unmatched = 0;
  for (const f of failed) {
    const wholeAt = old.units.findIndex((u) => isUnitFailure(u, f));
    if (wholeAt >= 0) {
      whole.add(wholeAt);
      continue;
    }
    const at = old.units.findIndex((u) => covers(u, f));
    if (at < 0) {
      unmatched++;
      continue;
    }
    const u = old.units[at] as Unit;
    // An object target is its own unit: retried as it was.
    if (u.scope.kind === "object") {
      whole.add(at);
      continue;
    }
    const target: Unit = { namespace: f.namespace, bucket: f.bucket, scope: { kind: "object", object: f.object, ...(f.versionId !== undefined ? { versionId: f.versionId } : {}) }, key: u.key };
    const mine = perUnit.get(at) ?? new Map<string, Unit>();
    mine.set(`${f.object}\u0000${f.versionId ?? ""}`, target);
    perUnit.set(at, mine);
  }
  const size = (): number => whole.size + [...perUnit].filter(([i]) => !whole.has(i)).reduce((a, [, m]) => a + m.size, 0);
  const widenedFrom = new Set<number>();
  while (size() > o.maxUnits) {
    let most = -1;
    for (const [i, m] of perUnit) if (!whole.has(i) && (most < 0 || m.size > (perUnit.get(most) as Map<string, Unit>).size)) most = i;
    if (most < 0) break;
    whole.add(most);
    widenedFrom.add(most);
  }
  if (size() > o.maxUnits) throw new Error(`the failures span ${size()} scopes, more than the ${o.maxUnits} one job may hold`);
  const units: Unit[] = [];
  let versions = 0;
  old.units.forEach((u, i) => {
    if (whole.has(i)) {
      units.push(u);
      return;
    }
    const m = perUnit.get(i);
    if (m) {
      units.push(...m.values());
      versions += m.size;
    }
  });
  const spec: JobSpec = { id: newJobId(), origin: o.origin ?? old.origin, units, ...(old.sourceKey ? { sourceKey: old.sourceKey } : {}), dryRun: old.dryRun };
  return { spec, versions, units: whole.size, widened: widenedFrom.size, unmatched };
}

/** A report line (JSONL or CSV, as read back) that says a version or unit failed, as a reference. */
export function failedRef(line: Record<string, unknown>): ObjectRef | undefined {
  if (line["outcome"] !== "failed") return undefined;
  const { namespace, bucket, object, versionId } = line;
  if (typeof namespace !== "string" || typeof bucket !== "string" || typeof object !== "string") return undefined;
  return typeof versionId === "string" && versionId !== "" ? { namespace, bucket, object, versionId } : { namespace, bucket, object };
}
