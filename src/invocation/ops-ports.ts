import type { Config } from "../config.js";
import { CONFIG_KEYS } from "../contract/config-keys.js";
import type { Logger } from "../log.js";
import type { Principal } from "../oci/clients.js";
import { NodeHttpClient } from "../oci/http/node-http-client.js";
import { regionalEndpoint } from "../oci/json-call.js";
import { createMonitoring, MONITORING_INGESTION_ENDPOINT_TEMPLATE } from "../oci/monitoring.js";
import { createNotifications, NOTIFICATIONS_ENDPOINT_TEMPLATE } from "../oci/notifications.js";
import type { Runtime } from "../runtime/runtime.js";

/**
 * The Notifications and Monitoring ports (contract §13): our signing client on the regional
 * endpoint (or its REENCRYPT_*_ENDPOINT override). A port that cannot be built (no region, no
 * compartment for metrics) is left out with one warning: reporting never stops the function.
 */
export function opsPorts(principal: Principal, config: Config, log: Logger): Pick<Runtime, "notifications" | "metrics"> {
  const needed = config.notifyTopicId !== undefined || config.metrics !== undefined;
  // The benchmark's SDK-client bundle has no httpClient of ours: these calls use one anyway.
  const http = needed ? (principal.httpClient ?? new NodeHttpClient(principal.provider)) : undefined;
  let notifications: Runtime["notifications"];
  if (http && config.notifyTopicId) {
    const base = config.endpoints.notifications ?? regionalEndpoint(principal.provider, NOTIFICATIONS_ENDPOINT_TEMPLATE);
    if (base) notifications = { client: createNotifications(http, base), topicId: config.notifyTopicId };
    else log.warn("no messages will be published: the region is unknown", { key: CONFIG_KEYS.notificationsEndpoint });
  }
  let metrics: Runtime["metrics"];
  if (http && config.metrics) {
    const base = config.endpoints.monitoring ?? regionalEndpoint(principal.provider, MONITORING_INGESTION_ENDPOINT_TEMPLATE);
    const compartmentId = config.metrics.compartmentId ?? principal.compartmentId;
    if (!base) log.warn("no metrics will be posted: the region is unknown", { key: CONFIG_KEYS.monitoringEndpoint });
    else if (!compartmentId) log.warn("no metrics will be posted: no compartment (the resource principal names none)", { key: CONFIG_KEYS.metricsCompartmentId });
    else metrics = { client: createMonitoring(http, base), namespace: config.metrics.namespace, compartmentId };
  }
  return { notifications, metrics };
}
