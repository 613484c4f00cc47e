import type { Cursor, Counts, Job, Position, Unit } from "../jobs/job.js";
import { zeroCounts } from "../jobs/job.js";
import type { Logger } from "../log.js";
import type { ObjectStore, ReencryptDetails, SseCKey } from "../oci/object-store.js";
import { OciCallError, toOciFailure, type OciFailure } from "../oci/oci-failure.js";
import { hintFor } from "./hints.js";
import { listScope, type Item } from "./list-scope.js";
import type { ReportLine } from "./report.js";

export const MAX_FAILURES = 100;
export const MAX_DRY_RUN_OBJECTS = 1000;

export interface ObjectRef {
  namespace: string;
  bucket: string;
  object: string;
  versionId?: string;
}

export interface FailureRecord extends ObjectRef {
  status: number;
  code: string;
  message: string;
  hint: string;
  opcRequestId?: string;
}

/** SSE-C keys the job names, resolved for this invocation (from secrets or the caller). */
export interface KeyMaterials {
  target: SseCKey | undefined;
  source: SseCKey | undefined;
}

export interface RunJobDeps {
  store: ObjectStore;
  materials: KeyMaterials;
  concurrency: number;
  /** Start no new call after this instant (epoch ms). */
  stopAt: number;
  /** Stop waiting for calls in flight at this instant; their outcome is unknown and they are redone. */
  hardStopAt: number;
  log: Logger;
  collectReport: boolean;
  now?: () => number;
}

export interface JobRun {
  counts: Counts;
  failures: FailureRecord[];
  objects: ObjectRef[];
  report: ReportLine[];
  /** undefined when the job is done. */
  cursor: Cursor | undefined;
}

export function detailsFor(unit: Unit, job: Job, materials: KeyMaterials): ReencryptDetails {
  const source = job.sourceKey === undefined ? undefined : materials.source;
  if (job.sourceKey !== undefined && source === undefined) throw new Error("source SSE-C key was not resolved");
  const src = source === undefined ? {} : { sourceSseCustomerKey: source };
  switch (unit.key.type) {
    case "bucket":
      return { ...src };
    case "kms":
      return { kmsKeyId: unit.key.kmsKeyId, ...src };
    case "sse-c": {
      if (materials.target === undefined) throw new Error("target SSE-C key was not resolved");
      return { sseCustomerKey: materials.target, ...src };
    }
  }
}

// setTimeout fires at once for delays past 2^31-1 ms; clamp so "far away" stays far away.
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.min(2 ** 31 - 1, Math.max(0, ms))).unref());

const positionOf = (i: Item): Position => (i.versionId === undefined ? { name: i.name } : { name: i.name, versionId: i.versionId });

/**
 * Runs a job from its cursor until it is done or the deadline approaches. Calls are started in
 * listing order through a bounded pool, so the started calls always form a prefix of the listing:
 * the cursor is simply the last one started, plus any whose outcome was still unknown at the end.
 */
export async function runJob(job: Job, deps: RunJobDeps): Promise<JobRun> {
  const now = deps.now ?? Date.now;
  const counts = zeroCounts();
  const failures: FailureRecord[] = [];
  const objects: ObjectRef[] = [];
  const report: ReportLine[] = [];
  const inflight = new Map<number, { pos: Position; done: Promise<void> }>();
  let ticket = 0;
  let abandoned = false;

  const record = (line: ReportLine): void => {
    if (deps.collectReport) report.push(line);
  };
  const fail = (ref: ObjectRef, f: OciFailure): void => {
    counts.failed++;
    if (failures.length < MAX_FAILURES) {
      failures.push({ ...ref, status: f.status, code: f.code, message: f.message, hint: hintFor(f, { sseCSourceGiven: job.sourceKey !== undefined }), ...(f.opcRequestId ? { opcRequestId: f.opcRequestId } : {}) });
    }
    record({ ...ref, outcome: "failed", status: f.status, code: f.code });
  };

  for (let u = job.cursor.unit; u < job.units.length; u++) {
    const unit = job.units[u] as Unit;
    const resuming = u === job.cursor.unit;
    const redo = resuming ? [...job.cursor.redo] : [];
    let after: Position | undefined = resuming ? job.cursor.after : undefined;
    const refOf = (i: Item | Position): ObjectRef => ({
      namespace: unit.namespace,
      bucket: unit.bucket,
      object: i.name,
      ...(i.versionId !== undefined ? { versionId: i.versionId } : {}),
    });
    const details = job.dryRun ? undefined : detailsFor(unit, job, deps.materials);

    const start = (item: Item): void => {
      const id = ticket++;
      const pos = positionOf(item);
      const ref = refOf(item);
      const done = (async () => {
        try {
          if (details === undefined) {
            await confirmExists(deps.store, unit, item);
            if (abandoned) return;
            if (objects.length < MAX_DRY_RUN_OBJECTS) objects.push(ref);
            record({ ...ref, outcome: "matched" });
          } else {
            await deps.store.reencryptObject({ namespace: unit.namespace, bucket: unit.bucket, object: item.name, versionId: item.versionId, details });
            if (abandoned) return;
            counts.reencrypted++;
            record({ ...ref, outcome: "reencrypted" });
          }
        } catch (error) {
          if (abandoned) return;
          fail(ref, error instanceof OciCallError ? error.failure : toOciFailure(error));
        } finally {
          if (!abandoned) inflight.delete(id);
        }
      })();
      inflight.set(id, { pos, done });
    };

    /** Waits for the calls in flight, but not past the hard stop; true when all settled. */
    const drain = async (): Promise<boolean> => {
      if (inflight.size === 0) return true;
      const pending = Promise.all([...inflight.values()].map((f) => f.done)).then(() => true);
      return Promise.race([pending, sleep(deps.hardStopAt - now()).then(() => inflight.size === 0)]);
    };

    const stopHere = async (): Promise<JobRun> => {
      await drain();
      abandoned = true;
      const unknown = [...inflight.values()].map((f) => f.pos);
      // They are counted again when they are redone.
      counts.matched -= unknown.length;
      const cursor: Cursor = { unit: u, redo: [...unknown, ...redo], ...(after !== undefined ? { after } : {}) };
      deps.log.info("job stopped before its deadline", { jobId: job.id, unit: u, inFlightUnknown: unknown.length });
      return { counts, failures, objects, report, cursor };
    };

    const handle = async (item: Item): Promise<boolean> => {
      if (item.isDeleteMarker) {
        if (now() >= deps.stopAt) return false;
        counts.skipped++;
        record({ ...refOf(item), outcome: "skipped" });
        return true;
      }
      while (inflight.size >= deps.concurrency) await Promise.race([...inflight.values()].map((f) => f.done));
      if (now() >= deps.stopAt) return false;
      counts.matched++;
      start(item);
      return true;
    };

    while (redo.length > 0) {
      const pos = redo[0] as Position;
      if (!(await handle({ name: pos.name, versionId: pos.versionId, isDeleteMarker: false }))) return stopHere();
      redo.shift();
    }
    try {
      for await (const item of listScope(deps.store, unit, after)) {
        if (!(await handle(item))) return stopHere();
        after = positionOf(item);
      }
    } catch (error) {
      // A listing that fails (missing bucket, no permission) fails this unit, not the job.
      const f = error instanceof OciCallError ? error.failure : toOciFailure(error);
      fail({ namespace: unit.namespace, bucket: unit.bucket, object: unit.scope.kind === "prefix" ? unit.scope.prefix : unit.scope.object }, f);
    }
    // A call that outlives the invocation has an unknown outcome: it is redone on resume.
    if (!(await drain())) return stopHere();
  }
  return { counts, failures, objects, report, cursor: undefined };
}

/** Dry-run: an object target is listed only if it exists (a prefix's items exist by construction). */
async function confirmExists(store: ObjectStore, unit: Unit, item: Item): Promise<void> {
  if (unit.scope.kind !== "object") return;
  const notFound = (): never => {
    throw new OciCallError({ status: 404, code: "ObjectNotFound", message: `object ${item.name}${item.versionId ? ` version ${item.versionId}` : ""} not found`, opcRequestId: undefined }, "ListObjects");
  };
  if (item.versionId === undefined) {
    const page = await store.listObjects(unit.namespace, unit.bucket, { prefix: item.name, start: item.name, limit: 1 });
    if (page.items[0] !== item.name) notFound();
    return;
  }
  const page = await store.listObjectVersions(unit.namespace, unit.bucket, { prefix: item.name, start: item.name, limit: 1000 });
  if (!page.items.some((v) => v.name === item.name && v.versionId === item.versionId && !v.isDeleteMarker)) notFound();
}
