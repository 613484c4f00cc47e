import type { Logger } from "../log.js";
import type { ObjectStore } from "../oci/object-store.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { CallBudget, Runtime } from "../runtime/runtime.js";
import type { Checklist } from "./checklist.js";

/** What every diagnose check works with: one budget, one store, one checklist for the whole run. */
export interface DiagnoseContext {
  rt: Runtime;
  dl: Deadlines;
  log: Logger;
  budget: CallBudget;
  store: ObjectStore;
  list: Checklist;
  /** REENCRYPT_COMPARTMENT_IDS, else the function's own compartment. */
  compartments: string[];
  started: number;
}
