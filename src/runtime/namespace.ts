import { createRateLimiter } from "../oci/rate-limiter.js";
import type { Runtime } from "./runtime.js";

// The tenancy's namespace never changes: one GetNamespace per container, shared by targets
// without a namespace, bucket discovery and the state bucket.
const cache = new WeakMap<Runtime, Promise<string>>();

export function namespaceOf(rt: Runtime, notAfter: number): Promise<string> {
  let p = cache.get(rt);
  if (!p) {
    p = rt.objectStore({ notAfter: () => notAfter, limiter: createRateLimiter(undefined) }).getNamespace();
    p.catch(() => cache.delete(rt));
    cache.set(rt, p);
  }
  return p;
}

/** REENCRYPT_STATE_BUCKET's namespace: as configured, else the tenancy's. */
export async function stateBucketOf(rt: Runtime, notAfter: number): Promise<{ namespace: string; bucket: string } | undefined> {
  const state = rt.config.stateBucket;
  if (!state) return undefined;
  return { namespace: state.namespace ?? (await namespaceOf(rt, notAfter)), bucket: state.bucket };
}
