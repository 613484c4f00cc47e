import type { EventsClient } from "oci-events";
import { clientConfiguration, lazy, type ClientParams } from "./clients.js";
import { withRetry } from "./retry.js";
import { collectPages } from "./paging.js";

export interface RuleInfo {
  id: string;
  displayName: string;
  compartmentId: string;
  isEnabled: boolean;
  lifecycleState: string;
  condition: string;
  actions: { actionType: string; functionId: string | undefined; isEnabled: boolean }[];
}

export interface EventRules {
  listRules(compartmentId: string): Promise<RuleInfo[]>;
}

/** oci-events is loaded on the first call (diagnose only). */
export function createEventRules(params: ClientParams, endpoint: string | undefined, notAfter: () => number | undefined): EventRules {
  const eventsClient = lazy(async () => {
    const c: EventsClient = new (await import("oci-events")).EventsClient(params, clientConfiguration());
    if (endpoint) c.endpoint = endpoint;
    return c;
  });
  return {
    async listRules(compartmentId) {
      const client = await eventsClient();
      const ids = await collectPages(async (page) => {
        const r = await withRetry("ListRules", () => client.listRules({ compartmentId: encodeURIComponent(compartmentId), limit: 100, ...(page ? { page: encodeURIComponent(page) } : {}) }), {
          notAfter: notAfter(),
        });
        return { items: r.items.map((i) => i.id), next: r.opcNextPage || undefined };
      });
      // The summary has no condition or actions: GetRule each.
      const rules: RuleInfo[] = [];
      for (const ruleId of ids) {
        const r = (await withRetry("GetRule", () => client.getRule({ ruleId }), { notAfter: notAfter() })).rule;
        const actions = (r.actions?.actions ?? []) as { actionType?: string; functionId?: string; isEnabled?: boolean }[];
        rules.push({
          id: r.id,
          displayName: r.displayName,
          compartmentId: r.compartmentId,
          isEnabled: r.isEnabled,
          lifecycleState: String(r.lifecycleState),
          condition: r.condition,
          actions: actions.map((a) => ({ actionType: String(a.actionType ?? ""), functionId: a.functionId, isEnabled: a.isEnabled !== false })),
        });
      }
      return rules;
    },
  };
}
