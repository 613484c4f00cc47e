import type { Config } from "../config.js";
import type { Logger } from "../log.js";
import type { ObjectStore } from "../oci/object-store.js";
import type { RateLimiter } from "../oci/rate-limiter.js";
import type { SecretReader } from "../oci/secret-reader.js";
import type { KeyManagement } from "../oci/key-management.js";
import type { SelfInvoker } from "../oci/self-invoker.js";
import type { EventRules } from "../oci/event-rules.js";
import type { Notifications } from "../oci/notifications.js";
import type { Monitoring } from "../oci/monitoring.js";

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
  /** FN_FN_ID: this function's OCID, for self-continuation and diagnose. */
  functionId: string | undefined;
  objectStore(budget: CallBudget): ObjectStore;
  secrets(budget: CallBudget): SecretReader;
  /**
   * The MAC key of self-contained resume tokens (REENCRYPT_TOKEN_SECRET_ID), read once per
   * container and kept; undefined when no token secret is configured. Never logged.
   */
  tokenKey(budget: CallBudget): Promise<Buffer | undefined>;
  keyManagement(budget: CallBudget): KeyManagement;
  /** undefined when the function does not know its own OCID (not running in OCI Functions). */
  selfInvoker(budget: CallBudget): SelfInvoker | undefined;
  eventRules(budget: CallBudget): EventRules;
  /** Publishes to REENCRYPT_NOTIFY_TOPIC; undefined without a topic. Calls are single attempts with their own timeout. */
  notifications: { client: Notifications; topicId: string } | undefined;
  /** PostMetricData into the configured namespace and compartment; undefined when metrics are off. */
  metrics: { client: Monitoring; namespace: string; compartmentId: string } | undefined;
}
