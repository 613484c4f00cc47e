import type { UnitStop, UnitStreak } from "../model/job.js";
import { isRetryable, type OciFailure } from "../oci/oci-failure.js";

/** What a stopped unit did in this run, for its failure entry. */
export interface StopTally extends UnitStop {
  hint: string;
  /** Versions of the unit counted failed without a call in this run. */
  notAttempted: number;
}

/**
 * A unit stops failing fast (contract §11): once its last `limit` calls failed with the same
 * non-retryable status and code (a bucket that answers 403 to everything, a bucket that is gone),
 * it makes no more calls. A success ends a streak; a transient failure (429, 5xx) neither extends
 * nor ends one. Streaks and stops start from the cursor, so they survive invocations; stops
 * learnt from other shards of the same unit are adopted.
 */
export class UnitStops {
  private readonly streaks = new Map<number, UnitStreak>();
  private readonly stops = new Map<number, StopTally>();

  constructor(
    private readonly limit: number,
    private readonly hintOf: (f: OciFailure, n: number) => string,
    from: { streaks?: UnitStreak[] | undefined; stopped?: UnitStop[] | undefined } = {},
  ) {
    for (const s of from.streaks ?? []) this.streaks.set(s.unit, { ...s });
    for (const s of from.stopped ?? []) this.adopt(s);
  }

  isStopped(unit: number): boolean {
    return this.stops.has(unit);
  }

  /**
   * Whether the unit's streak of identical failures just grew by another eighth of the limit:
   * another shard of the unit may have stopped it, which this shard should hear before its own
   * streak ends.
   */
  askOthers(unit: number): boolean {
    const n = this.streaks.get(unit)?.n ?? 0;
    return n > 0 && n % Math.max(1, Math.ceil(this.limit / 8)) === 0;
  }

  /** A call of `unit` settled: a success (no failure) or a failure after its retries. True when this stopped the unit. */
  observe(unit: number, failure: OciFailure | undefined): boolean {
    if (this.limit <= 0 || this.stops.has(unit)) return false;
    if (failure === undefined) {
      this.streaks.delete(unit);
      return false;
    }
    if (isRetryable(failure)) return false;
    const s = this.streaks.get(unit);
    const streak = s && s.status === failure.status && s.code === failure.code ? { ...s, n: s.n + 1 } : { unit, status: failure.status, code: failure.code, n: 1 };
    this.streaks.set(unit, streak);
    if (streak.n < this.limit) return false;
    this.stops.set(unit, { unit, status: failure.status, code: failure.code, message: failure.message, n: streak.n, hint: this.hintOf(failure, streak.n), notAttempted: 0 });
    this.streaks.delete(unit);
    return true;
  }

  /** Another shard (or an earlier run) stopped this unit. */
  adopt(s: UnitStop): void {
    if (this.stops.has(s.unit)) return;
    const f: OciFailure = { status: s.status, code: s.code, message: s.message, opcRequestId: undefined };
    this.stops.set(s.unit, { ...s, hint: this.hintOf(f, s.n), notAttempted: 0 });
    this.streaks.delete(s.unit);
  }

  /** One version of a stopped unit counted failed without a call. */
  notAttempted(unit: number): StopTally {
    const s = this.stops.get(unit) as StopTally;
    s.notAttempted++;
    return s;
  }

  cursorState(): { streaks?: UnitStreak[]; stopped?: UnitStop[] } {
    const streaks = [...this.streaks.values()];
    const stopped = [...this.stops.values()].map(({ unit, status, code, message, n }) => ({ unit, status, code, message, n }));
    return { ...(streaks.length > 0 ? { streaks } : {}), ...(stopped.length > 0 ? { stopped } : {}) };
  }

  tallies(): StopTally[] {
    return [...this.stops.values()].map((s) => ({ ...s }));
  }
}
