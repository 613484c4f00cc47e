import { randomUUID } from "node:crypto";

/** An event as OCI Events delivers it to a function (the CloudEvents 0.1 envelope), for the local tools. */
export function cloudEvent(eventType: string, source: string, data: Record<string, unknown>, eventID: string = randomUUID()) {
  return { cloudEventsVersion: "0.1", eventID, eventType, source, eventTime: new Date().toISOString(), contentType: "application/json", data };
}
