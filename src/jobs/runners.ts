import type { Logger } from "../log.js";
import type { ObjectStore } from "../oci/object-store.js";

// REENCRYPT_MAX_RPS holds across the deployment (issue 16 item 8): every running shard of every
// job registers itself in the state bucket as runner-<owner>.json, rewritten at each checkpoint and
// deleted when it stops; each shard's ceiling is REENCRYPT_MAX_RPS / the live runners. Live means
// written within one lease (3 checkpoint intervals): ListObjects' timeModified says so, so one
// ListObjects per checkpoint counts them, and no object is written by more than one runner. The
// name has no "/" so that IAM can allow deleting these objects only (target.object.name = /runner-*/).

export const RUNNER_PREFIX = "runner-";
/** A page of runners is plenty; past it the count is a lower bound and the share errs generous. */
const MAX_PAGES = 5;
/** A runner that died is left by its invocation: the next ones delete it once it is this many leases old. */
const STALE_LEASES = 10;
const MAX_CLEANUP = 10;

export interface RunnerRegistry {
  /** Writes this runner's entry (good for one lease) and counts the live runners, itself included. */
  heartbeat(): Promise<number>;
  /** Removes this runner's entry, if it wrote one. Never throws. */
  stop(): Promise<void>;
}

export function createRunnerRegistry(o: {
  store: ObjectStore;
  state: { namespace: string; bucket: string };
  owner: string;
  jobId: string;
  leaseMs: number;
  log: Logger;
  now?: () => number;
}): RunnerRegistry {
  const now = o.now ?? Date.now;
  const { namespace, bucket } = o.state;
  const name = `${RUNNER_PREFIX}${o.owner.replace(/[^A-Za-z0-9-]/g, "-")}.json`;
  let stopped = false;
  let written = false;

  const count = async (t: number): Promise<number> => {
    let live = 0;
    const stale: string[] = [];
    let start: string | undefined;
    for (let page = 0; page < MAX_PAGES; page++) {
      const p = await o.store.listObjectTimes(namespace, bucket, { prefix: RUNNER_PREFIX, start });
      for (const r of p.items) {
        // An entry without a time counts: an unknown runner is assumed alive (the share errs low).
        if (r.name === name || r.modifiedAt === undefined || r.modifiedAt > t - o.leaseMs) live++;
        else if (r.modifiedAt < t - STALE_LEASES * o.leaseMs && stale.length < MAX_CLEANUP) stale.push(r.name);
      }
      if (p.next === undefined) break;
      start = p.next;
    }
    for (const s of stale) await o.store.deleteObject(namespace, bucket, s).catch(() => undefined);
    return Math.max(1, live);
  };

  return {
    async heartbeat() {
      if (stopped) return 1;
      const t = now();
      written = true;
      await o.store.putObject(namespace, bucket, name, JSON.stringify({ owner: o.owner, jobId: o.jobId, until: new Date(t + o.leaseMs).toISOString() }));
      return count(t);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      if (!written) return;
      await o.store.deleteObject(namespace, bucket, name).catch((error: unknown) => {
        // Harmless: the entry expires after one lease and is cleaned up by later runners.
        o.log.warn("could not remove this runner's entry from the state bucket", { error: error instanceof Error ? error.message : String(error) });
      });
    },
  };
}
