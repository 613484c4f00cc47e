import type { FailureRecord, ObjectRef } from "../model/failure.js";
import { zeroCounts, type Counts, type JobSpec, type Position, type Unit } from "../model/job.js";
import type { OciFailure } from "../oci/oci-failure.js";
import type { ObjectStore, RetentionRuleInfo, TierInfo } from "../oci/object-store.js";
import { hintFor, type HintContext } from "./hints.js";
import type { ReportLine, ReportSink } from "./report-writer.js";
import type { StopTally } from "./unit-stops.js";

export const MAX_FAILURES = 100;
export const MAX_DRY_RUN_OBJECTS = 1000;

export const refOf = (unit: Unit, p: Position): ObjectRef =>
  p.versionId === undefined ? { namespace: unit.namespace, bucket: unit.bucket, object: p.name } : { namespace: unit.namespace, bucket: unit.bucket, object: p.name, versionId: p.versionId };

/** Report lines and failures name the tier only when it is not Standard. */
const tierFields = (t: TierInfo | undefined): { storageTier?: string; archivalState?: string } =>
  t?.storageTier === undefined || t.storageTier === "Standard" ? {} : { storageTier: t.storageTier, ...(t.archivalState ? { archivalState: t.archivalState } : {}) };

/** The unit-level failure entry of a unit that stopped calling (one per unit, first in the list). */
export function stopFailure(unit: Unit, s: StopTally): FailureRecord {
  const scope = unit.scope.kind === "prefix" ? unit.scope.prefix : unit.scope.object;
  return {
    namespace: unit.namespace,
    bucket: unit.bucket,
    object: scope,
    status: s.status,
    code: s.code,
    message: `stopped calling after ${s.n} identical failures (${s.status} ${s.code}): ${s.message}`,
    hint: s.hint,
    notAttempted: s.notAttempted,
  };
}

/**
 * One shard's outcomes in this invocation: counts, its first failures, a dry run's objects, and
 * one report line per version. Failure hints are written for the reader (`hints`) and name what
 * the failure met: the tier, the bucket's retention rules (asked once per bucket, after a 4xx).
 */
export class ShardOutcomes {
  readonly counts: Counts = zeroCounts();
  readonly failures: FailureRecord[] = [];
  readonly objects: ObjectRef[] = [];
  private readonly retention = new Map<string, Promise<RetentionRuleInfo[] | undefined>>();

  constructor(
    private readonly spec: JobSpec,
    private readonly store: ObjectStore,
    private readonly report: ReportSink | undefined,
    private readonly hints: Omit<HintContext, "sseCSourceGiven" | "origin" | "tier" | "retentionRules">,
  ) {}

  private line(l: ReportLine): void {
    this.report?.add(l);
  }

  reencrypted(ref: ObjectRef, tier: TierInfo | undefined): void {
    this.counts.matched++;
    this.counts.reencrypted++;
    this.line({ ...ref, outcome: "reencrypted", ...tierFields(tier) });
  }

  matched(ref: ObjectRef, tier: TierInfo | undefined): void {
    this.counts.matched++;
    if (this.objects.length < MAX_DRY_RUN_OBJECTS) this.objects.push(ref);
    this.line({ ...ref, outcome: "matched", ...tierFields(tier) });
  }

  /** A delete marker, or a version another key governs: listed and left alone. */
  skipped(ref: ObjectRef): void {
    this.counts.skipped++;
    this.line({ ...ref, outcome: "skipped" });
  }

  hintContext(tier?: TierInfo, retentionRules?: readonly RetentionRuleInfo[]): HintContext {
    return { ...this.hints, sseCSourceGiven: this.spec.sourceKey !== undefined, origin: this.spec.origin, tier, retentionRules };
  }

  /** The bucket's retention rules when the failure could be theirs (a 4xx other than 404/429); once per bucket. */
  async retentionFor(unit: Unit, f: OciFailure): Promise<RetentionRuleInfo[] | undefined> {
    if (f.status < 400 || f.status >= 500 || f.status === 404 || f.status === 429 || f.status === 401) return undefined;
    const key = `${unit.namespace}/${unit.bucket}`;
    let p = this.retention.get(key);
    if (!p) {
      p = this.store.listRetentionRules(unit.namespace, unit.bucket).catch(() => undefined);
      this.retention.set(key, p);
    }
    return p;
  }

  /** `tried`: a real call was made for this version (it counts as matched too). */
  failed(ref: ObjectRef, f: OciFailure, hintCtx: HintContext, tried: boolean): void {
    if (tried) this.counts.matched++;
    this.counts.failed++;
    const tier = tierFields(hintCtx.tier);
    if (this.failures.length < MAX_FAILURES) {
      this.failures.push({ ...ref, status: f.status, code: f.code, message: f.message, hint: hintFor(f, hintCtx), ...(f.opcRequestId ? { opcRequestId: f.opcRequestId } : {}), ...tier });
    }
    this.line({ ...ref, outcome: "failed", status: f.status, code: f.code, ...tier });
  }

  /** A version of a stopped unit: failed without a call. */
  notAttempted(ref: ObjectRef, s: StopTally, tier: TierInfo | undefined): void {
    this.counts.matched++;
    this.counts.failed++;
    this.line({ ...ref, outcome: "failed", status: s.status, code: s.code, notAttempted: true, ...tierFields(tier) });
  }
}
