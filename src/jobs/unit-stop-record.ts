import { stopFailure, type StopTally } from "../engine/run-shard.js";
import { MAX_FAILURES } from "../engine/shard-outcomes.js";
import type { FailureRecord } from "../model/failure.js";
import type { JobSpec, ShardWork, Unit, UnitStop } from "../model/job.js";

// A unit that stopped calling (contract §11) is one failure entry for the whole job, whichever
// shards and invocations counted its versions: the record keeps one entry per unit and adds each
// run's not-attempted versions to it, and every shard running the unit adopts the stop.

export interface StoppedUnitRecord {
  status: number;
  code: string;
  message: string;
  hint: string;
  n: number;
  notAttempted: number;
}

export type StoppedUnits = Record<string, StoppedUnitRecord>;

/**
 * Adds a run's tallies to the record's stopped units. `merged` says how many of each unit's
 * not-attempted versions earlier writes of this run added already; the new counts are returned,
 * to be kept once the write lands.
 */
export function mergeStops(stopped: StoppedUnits, tallies: readonly StopTally[], merged: ReadonlyMap<number, number>): Map<number, number> {
  const next = new Map(merged);
  for (const t of tallies) {
    const delta = t.notAttempted - (merged.get(t.unit) ?? 0);
    const key = String(t.unit);
    const existing = stopped[key];
    stopped[key] = existing
      ? { ...existing, notAttempted: existing.notAttempted + delta }
      : { status: t.status, code: t.code, message: t.message, hint: t.hint, n: t.n, notAttempted: delta };
    next.set(t.unit, t.notAttempted);
  }
  return next;
}

/** Two sets of stopped units as one: the first entry of each unit, their not-attempted versions summed. */
export function addStops(into: StoppedUnits, more: StoppedUnits): StoppedUnits {
  for (const [key, s] of Object.entries(more)) {
    const existing = into[key];
    into[key] = existing ? { ...existing, notAttempted: existing.notAttempted + s.notAttempted } : { ...s };
  }
  return into;
}

/** Stops other shards recorded for units this shard runs, that it does not know of yet. */
export function stopsToAdopt(stopped: StoppedUnits | undefined, work: ShardWork, known: ReadonlySet<number>): UnitStop[] {
  const out: UnitStop[] = [];
  for (const [key, s] of Object.entries(stopped ?? {})) {
    const unit = Number(key);
    if (unit < work.units[0] || unit >= work.units[1] || known.has(unit)) continue;
    out.push({ unit, status: s.status, code: s.code, message: s.message, n: s.n });
  }
  return out;
}

/** A job's failures as answers show them: one entry per stopped unit first, then the versions. */
export function withStopFailures(spec: Pick<JobSpec, "units">, stopped: StoppedUnits | readonly StopTally[] | undefined, failures: readonly FailureRecord[]): FailureRecord[] {
  const entries = Array.isArray(stopped)
    ? (stopped as StopTally[]).map((t) => [t.unit, t] as const)
    : Object.entries((stopped ?? {}) as StoppedUnits).map(([k, s]) => [Number(k), { unit: Number(k), ...s }] as const);
  const units = entries
    .filter(([u]) => spec.units[u] !== undefined)
    .sort(([a], [b]) => a - b)
    .map(([u, s]) => stopFailure(spec.units[u] as Unit, s));
  return [...units, ...failures].slice(0, MAX_FAILURES);
}
