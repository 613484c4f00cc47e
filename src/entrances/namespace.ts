import type { Deadlines } from "../deadline.js";
import { createRateLimiter } from "../oci/rate-limiter.js";
import type { Runtime } from "../runtime.js";

// The tenancy's namespace never changes: one GetNamespace per container.
const cache = new WeakMap<Runtime, Promise<string>>();

export function namespaceOf(rt: Runtime, dl: Deadlines): Promise<string> {
  let p = cache.get(rt);
  if (!p) {
    p = rt.objectStore({ notAfter: () => dl.hardStopAt, limiter: createRateLimiter(undefined) }).getNamespace();
    p.catch(() => cache.delete(rt));
    cache.set(rt, p);
  }
  return p;
}
