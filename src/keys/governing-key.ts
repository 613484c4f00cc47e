import type { KeyRule } from "../contract/rules.js";
import { matchesBucketGlob } from "../glob.js";
import type { JobKey, LeftAlone, NameRange, Unit } from "../model/job.js";
import { compareNames } from "../oci/name-order.js";

// Which key governs an object version (contract §11): the first rule of REENCRYPT_RULES whose
// bucket glob and prefix match, otherwise the bucket's own key (its kmsKeyId, or an Oracle-managed
// key). Every bulk job re-encrypts only what is governed by the key it re-encrypts to, so a pass
// over a bucket never moves a scope a rule gives to another key back onto the bucket's key.

/** A bucket as far as key precedence is concerned; `kmsKeyId` undefined: Oracle-managed. */
export interface BucketKeyInfo {
  namespace: string;
  name: string;
  kmsKeyId: string | undefined;
}

export type Governor =
  | { kind: "rule"; index: number; rule: KeyRule }
  | { kind: "bucket"; kmsKeyId: string | undefined };

/** The Vault key a governor wraps with; undefined: an Oracle-managed key. */
export const keyOfGovernor = (g: Governor): string | undefined => (g.kind === "rule" ? g.rule.kmsKeyId : g.kmsKeyId);

/** The rules that apply in this bucket at all, with their position in REENCRYPT_RULES (precedence). */
export function rulesInBucket(rules: readonly KeyRule[], bucket: Pick<BucketKeyInfo, "namespace" | "name">): { index: number; rule: KeyRule }[] {
  const out: { index: number; rule: KeyRule }[] = [];
  rules.forEach((rule, index) => {
    if (matchesBucketGlob(rule.bucket, bucket.namespace, bucket.name)) out.push({ index, rule });
  });
  return out;
}

export function governorOf(rules: readonly KeyRule[], bucket: BucketKeyInfo, name: string): Governor {
  for (let index = 0; index < rules.length; index++) {
    const rule = rules[index] as KeyRule;
    if (name.startsWith(rule.prefix) && matchesBucketGlob(rule.bucket, bucket.namespace, bucket.name)) return { kind: "rule", index, rule };
  }
  return { kind: "bucket", kmsKeyId: bucket.kmsKeyId };
}

/** A half-open name interval [start, end); `end` undefined: no upper bound. */
interface Interval {
  start: string;
  end: string | undefined;
}

const MAX_CODE_POINT = 0x10ffff;

/**
 * The least name greater than every name that starts with `prefix`, in listing (code point)
 * order; undefined when there is none (the empty prefix). Names under the prefix are exactly
 * [prefix, prefixEnd(prefix)).
 */
export function prefixEnd(prefix: string): string | undefined {
  const points = [...prefix];
  while (points.length > 0) {
    const last = (points.pop() as string).codePointAt(0) as number;
    if (last < MAX_CODE_POINT) {
      // Surrogate code points are not characters a name can hold: the next one is U+E000.
      const next = last + 1 >= 0xd800 && last + 1 <= 0xdfff ? 0xe000 : last + 1;
      return points.join("") + String.fromCodePoint(next);
    }
  }
  return undefined;
}

const lessEnd = (a: string | undefined, b: string | undefined): boolean => a !== undefined && (b === undefined || compareNames(a, b) < 0);
const maxStart = (a: string, b: string): string => (compareNames(a, b) >= 0 ? a : b);
const minEnd = (a: string | undefined, b: string | undefined): string | undefined => (lessEnd(a, b) ? a : b);
const isEmpty = (i: Interval): boolean => i.end !== undefined && compareNames(i.start, i.end) >= 0;

function intersect(a: Interval, b: Interval): Interval | undefined {
  const i = { start: maxStart(a.start, b.start), end: minEnd(a.end, b.end) };
  return isEmpty(i) ? undefined : i;
}

/** a minus b: at most two pieces. */
function subtract(a: Interval, b: Interval): Interval[] {
  if (intersect(a, b) === undefined) return [a];
  const out: Interval[] = [];
  if (compareNames(a.start, b.start) < 0) out.push({ start: a.start, end: b.start });
  if (b.end !== undefined && lessEnd(b.end, a.end)) out.push({ start: b.end, end: a.end });
  return out.filter((i) => !isEmpty(i));
}

/**
 * What a bulk unit with this target key may touch: versions governed by the key it re-encrypts to.
 * The bucket's key (empty details) serves what the bucket's key governs, rules naming that same
 * key included; a Vault key serves what it governs; an SSE-C key only what no rule claims (a rule
 * gives its scope a Vault key).
 */
export function wantedBy(key: JobKey, bucketKey: string | undefined): (g: Governor) => boolean {
  switch (key.type) {
    case "bucket":
      return (g) => keyOfGovernor(g) === bucketKey;
    case "kms":
      return (g) => keyOfGovernor(g) === key.kmsKeyId;
    case "sse-c":
      return (g) => g.kind === "bucket";
  }
}

export interface ScopePlan {
  /** The name ranges to list, sorted and disjoint; empty when nothing under the prefix is the unit's. */
  ranges: NameRange[];
  /** True when the ranges are the whole prefix: no listing bounds needed. */
  whole: boolean;
  leftAlone: LeftAlone[];
}

/**
 * Splits the names under `prefix` in `bucket` by what governs them, and keeps the ranges whose
 * governor `wanted` accepts. Rules claim names in their order (first match wins), so a later
 * rule's scope inside an earlier one's is claimed by the earlier rule. Ranges are what a listing
 * asks for with start/end: a unit that leaves 99 % of a bucket alone lists only the rest.
 */
export function planScope(rules: readonly KeyRule[], bucket: BucketKeyInfo, prefix: string, wanted: (g: Governor) => boolean): ScopePlan {
  const scope: Interval = { start: prefix, end: prefixEnd(prefix) };
  let free: Interval[] = [scope];
  const kept: Interval[] = [];
  const leftAlone: LeftAlone[] = [];
  for (const { index, rule } of rulesInBucket(rules, bucket)) {
    if (free.length === 0) break;
    const ruleScope: Interval = { start: rule.prefix, end: prefixEnd(rule.prefix) };
    const claimed = free.map((f) => intersect(f, ruleScope)).filter((i): i is Interval => i !== undefined);
    if (claimed.length === 0) continue;
    free = free.flatMap((f) => subtract(f, ruleScope));
    const governor: Governor = { kind: "rule", index, rule };
    if (wanted(governor)) kept.push(...claimed);
    else {
      leftAlone.push({
        namespace: bucket.namespace,
        bucket: bucket.name,
        prefix: rule.prefix.length > prefix.length ? rule.prefix : prefix,
        governedBy: { rule: index, bucketGlob: rule.bucket, rulePrefix: rule.prefix, kmsKeyId: rule.kmsKeyId },
      });
    }
  }
  if (free.length > 0) {
    if (wanted({ kind: "bucket", kmsKeyId: bucket.kmsKeyId })) kept.push(...free);
    else leftAlone.push({ namespace: bucket.namespace, bucket: bucket.name, prefix, governedBy: { bucketKey: bucket.kmsKeyId ?? null } });
  }
  const ranges = merge(kept).map((i) => ({
    ...(i.start === prefix ? {} : { start: i.start }),
    ...(i.end === scope.end || i.end === undefined ? {} : { end: i.end }),
  }));
  const whole = ranges.length === 1 && leftAlone.length === 0;
  return { ranges, whole, leftAlone };
}

function merge(intervals: Interval[]): Interval[] {
  const sorted = [...intervals].sort((a, b) => compareNames(a.start, b.start));
  const out: Interval[] = [];
  for (const i of sorted) {
    const last = out[out.length - 1];
    if (last && last.end !== undefined && compareNames(i.start, last.end) <= 0) {
      if (lessEnd(last.end, i.end)) last.end = i.end;
    } else {
      out.push({ ...i });
    }
  }
  return out;
}

/**
 * The engine's check for every listed name of a planned unit: does the unit's key govern it
 * under the rules as they are now? Units without a recorded bucket key (single objects, jobs
 * planned before key precedence) are not checked.
 */
export function governsFor(rules: readonly KeyRule[]): (unit: Unit, name: string) => boolean {
  if (rules.length === 0) {
    return (unit) => unit.bucketKey === undefined || wantedBy(unit.key, unit.bucketKey ?? undefined)({ kind: "bucket", kmsKeyId: unit.bucketKey ?? undefined });
  }
  return (unit, name) => {
    if (unit.bucketKey === undefined) return true;
    const bucket = { namespace: unit.namespace, name: unit.bucket, kmsKeyId: unit.bucketKey ?? undefined };
    return wantedBy(unit.key, bucket.kmsKeyId)(governorOf(rules, bucket, name));
  };
}
