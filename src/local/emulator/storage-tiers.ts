import { invalidParameter } from "./api-error.js";
import type { ArchivalState, ObjectVersion, StorageTier } from "./model.js";
import { ARCHIVED_NOT_RESTORED, NOT_ARCHIVED, refuse } from "./refusals.js";

export const STORAGE_TIERS: readonly StorageTier[] = ["Standard", "InfrequentAccess", "Archive"];
const HOUR_MS = 3_600_000;
// RestoreObjects: "By default objects will be restored for 24 hours"; the Console allows 1-240.
const DEFAULT_RESTORE_HOURS = 24;
const MAX_RESTORE_HOURS = 240;

export function parseStorageTier(value: unknown, field: string): StorageTier {
  if (typeof value === "string" && (STORAGE_TIERS as readonly string[]).includes(value)) return value as StorageTier;
  throw invalidParameter(`${field} must be one of ${STORAGE_TIERS.join(", ")}, got '${String(value)}'`);
}

/** Archive-tier versions only: Archived until restored, Restoring until ready, Restored until the restore's hours run out. */
export function archivalStateOf(v: Pick<ObjectVersion, "storageTier" | "restore">, now = Date.now()): ArchivalState | undefined {
  if (v.storageTier !== "Archive") return undefined;
  const r = v.restore;
  if (!r || now >= r.until) return "Archived";
  return now < r.readyAt ? "Restoring" : "Restored";
}

/** Refuses a read of the data (GetObject, ReencryptObject, a tier change) of an Archive version that is not Restored. */
export function requireRestored(v: ObjectVersion, what: string): void {
  const state = archivalStateOf(v);
  if (state !== undefined && state !== "Restored") {
    throw refuse(ARCHIVED_NOT_RESTORED, `The object '${v.name}' is in the Archive tier and ${state}: restore it before ${what}`);
  }
}

/**
 * Archive restores and tier changes. A restore becomes Restored `restoreDelayMs` after
 * RestoreObjects (0 by default: at once), and stays so for its `hours`.
 */
export class Tiers {
  private restoreDelayMs = 0;

  setRestoreDelay(ms: number): void {
    if (!(ms >= 0)) throw new Error(`restore delay must be >= 0, got ${ms}`);
    this.restoreDelayMs = ms;
  }

  /** RestoreObjects: "started" for an Archived version, "restoring" while one runs, "restored" (hours extended) once done. */
  restore(v: ObjectVersion, hours: unknown): "started" | "restoring" | "restored" {
    const h = hours === undefined || hours === null ? DEFAULT_RESTORE_HOURS : hours;
    if (typeof h !== "number" || !Number.isInteger(h) || h < 1 || h > MAX_RESTORE_HOURS) {
      throw invalidParameter(`hours must be an integer from 1 to ${MAX_RESTORE_HOURS}`);
    }
    const now = Date.now();
    const state = archivalStateOf(v, now);
    if (state === undefined) throw refuse(NOT_ARCHIVED, `The object '${v.name}' is in the ${v.storageTier} tier: only Archive objects are restored`);
    if (state === "Restoring") return "restoring";
    if (state === "Restored") {
      (v.restore as { until: number }).until = now + h * HOUR_MS;
      return "restored";
    }
    v.restore = { readyAt: now + this.restoreDelayMs, until: now + this.restoreDelayMs + h * HOUR_MS };
    return "started";
  }

  /** For tests: put an Archive version in a state. Restoring lasts until set otherwise; Restored lasts 24 h. */
  setArchivalState(v: ObjectVersion, state: ArchivalState): void {
    if (v.storageTier !== "Archive") throw new Error(`setArchivalState: ${v.name} is ${v.storageTier}, not Archive`);
    const now = Date.now();
    if (state === "Archived") delete v.restore;
    else if (state === "Restoring") v.restore = { readyAt: Infinity, until: Infinity };
    else v.restore = { readyAt: now, until: now + DEFAULT_RESTORE_HOURS * HOUR_MS };
  }

  /** UpdateObjectStorageTier: leaving Archive needs a restored copy; entering it archives the version. */
  setTier(v: ObjectVersion, tier: StorageTier): void {
    if (v.storageTier === tier) return;
    if (v.storageTier === "Archive") requireRestored(v, "changing its tier");
    v.storageTier = tier;
    delete v.restore;
  }
}
