import type { Config } from "./config.js";
import type { Logger } from "./log.js";
import type { ObjectStore } from "./oci/object-store.js";
import type { RateLimiter } from "./oci/rate-limiter.js";
import type { SecretReader } from "./keys/resolve-keys.js";

/** Calls that must not outlive the invocation: retries stop before `notAfter` (epoch ms). */
export interface CallBudget {
  notAfter: () => number | undefined;
  limiter: RateLimiter;
}

/** Everything an invocation needs from outside, built once per container. */
export interface Runtime {
  config: Config;
  log: Logger;
  /** The function's own compartment and tenancy, from the resource principal. */
  compartmentId: string | undefined;
  tenancyId: string | undefined;
  objectStore(budget: CallBudget): ObjectStore;
  secrets(budget: CallBudget): SecretReader;
}
