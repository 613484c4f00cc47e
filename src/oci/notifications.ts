// OCI Notifications (ONS), the two calls this product makes: PublishMessage on the data plane and
// GetTopic on the control plane (diagnose). Same paths, body and headers as oci-ons'
// NotificationDataPlaneClient / NotificationControlPlaneClient send, through our signing HTTP client,
// so the function bundle carries no oci-ons.

import type * as common from "oci-common";
import { jsonCall } from "./json-call.js";

/** NotificationDataPlaneClient.serviceEndpointTemplate (the control plane's is the same host). */
export const NOTIFICATIONS_ENDPOINT_TEMPLATE = "https://notification.{region}.{secondLevelDomain}";
const API_VERSION = "20181201";

/** Notifications' limit for one PublishMessage request: "Message size limit per request: 64KB". */
export const MESSAGE_LIMIT_BYTES = 64 * 1024;

export interface TopicInfo {
  id: string;
  name: string;
  compartmentId: string;
  lifecycleState: string;
  /** The topic's own endpoint (the docs name it for PublishMessage; the regional one is used, as oci-cli does). */
  apiEndpoint: string | undefined;
}

/** A single attempt's bounds: aborted after `timeoutMs`, or when `signal` fires. */
export interface CallLimits {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

export interface Notifications {
  /** PublishMessage, one attempt. Resolves with the message id. */
  publish(topicId: string, message: { title: string; body: string }, limits: CallLimits): Promise<string>;
  /** GetTopic; undefined when the topic does not exist or may not be read (404). */
  getTopic(topicId: string, limits: CallLimits): Promise<TopicInfo | undefined>;
}

const str = (o: Record<string, unknown>, k: string): string => (typeof o[k] === "string" ? (o[k] as string) : "");

export function createNotifications(http: common.HttpClient, baseUrl: string): Notifications {
  const base = `${baseUrl.replace(/\/+$/, "")}/${API_VERSION}`;
  return {
    async publish(topicId, message, limits) {
      const r = await jsonCall(http, "PublishMessage", { method: "POST", uri: `${base}/topics/${encodeURIComponent(topicId)}/messages`, body: { title: message.title, body: message.body }, ...limits });
      const o = (r.json ?? {}) as Record<string, unknown>;
      return str(o, "messageId");
    },
    async getTopic(topicId, limits) {
      try {
        const r = await jsonCall(http, "GetTopic", { method: "GET", uri: `${base}/topics/${encodeURIComponent(topicId)}`, ...limits });
        const o = (r.json ?? {}) as Record<string, unknown>;
        return { id: str(o, "topicId"), name: str(o, "name"), compartmentId: str(o, "compartmentId"), lifecycleState: str(o, "lifecycleState"), apiEndpoint: str(o, "apiEndpoint") || undefined };
      } catch (error) {
        if ((error as { failure?: { status?: number } }).failure?.status === 404) return undefined;
        throw error;
      }
    },
  };
}
