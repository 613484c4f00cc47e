// OCI Notifications as oci-ons sends it: PublishMessage on the data plane and GetTopic on the
// control plane (both under /20181201 on the emulator's one URL). Topics are made by tests and the
// demo (`em.notifications.createTopic()`); every message published is kept, verbatim, so tests can
// read what operators would receive. Refusals and hangs come from the fault injector (operations
// "PublishMessage", "GetTopic").

import { ApiError, notFound } from "./api-error.js";
import { randomOcid, randomRequestId } from "./random-ids.js";
import { jsonBody, param, type Reply, type Route, type RouteContext } from "./router.js";

export type TopicState = "ACTIVE" | "CREATING" | "DELETING";

export interface Topic {
  id: string;
  name: string;
  compartmentId: string;
  lifecycleState: TopicState;
  description?: string | undefined;
  timeCreated: string;
  apiEndpoint: string;
}

export interface PublishedMessage {
  topicId: string;
  messageId: string;
  title: string | undefined;
  body: string;
  /** The signer: a resource principal's compartment, or a user OCID. */
  principal: string;
  at: string;
}

/** "Message size limit per request: 64KB" (PublishMessage's API reference). */
export const MESSAGE_LIMIT_BYTES = 64 * 1024;

/** Topics and every message published to them. */
export class NotificationsStore {
  readonly topics = new Map<string, Topic>();
  /** Every message accepted, in arrival order. */
  readonly messages: PublishedMessage[] = [];

  constructor(
    private readonly baseUrl: string,
    private readonly defaultCompartmentId: string,
  ) {}

  createTopic(o: { name?: string; compartmentId?: string; lifecycleState?: TopicState; description?: string } = {}): Topic {
    const topic: Topic = {
      id: randomOcid("onstopic"),
      name: o.name ?? `topic-${this.topics.size + 1}`,
      compartmentId: o.compartmentId ?? this.defaultCompartmentId,
      lifecycleState: o.lifecycleState ?? "ACTIVE",
      description: o.description,
      timeCreated: new Date().toISOString(),
      apiEndpoint: this.baseUrl,
    };
    this.topics.set(topic.id, topic);
    return topic;
  }

  messagesFor(topicId: string): PublishedMessage[] {
    return this.messages.filter((m) => m.topicId === topicId);
  }
}

const missingTopic = (id: string): ApiError => notFound("NotAuthorizedOrNotFound", `Topic ${id} does not exist or you are not authorized to access it`);

function publishMessage(store: NotificationsStore, ctx: RouteContext): Reply {
  const id = param(ctx, "topicId");
  const topic = store.topics.get(id);
  if (!topic) throw missingTopic(id);
  if (topic.lifecycleState !== "ACTIVE") throw new ApiError(409, "IncorrectState", `Topic ${id} is ${topic.lifecycleState}`);
  const body = jsonBody(ctx) as { title?: unknown; body?: unknown } | undefined;
  if (!body || typeof body.body !== "string") throw new ApiError(400, "InvalidParameter", "messageDetails.body is required");
  if (body.title !== undefined && typeof body.title !== "string") throw new ApiError(400, "InvalidParameter", "messageDetails.title must be a string");
  // The limit applies to the request; which bytes count exactly is UNCONFIRMED: the whole body here.
  if (ctx.body.length > MESSAGE_LIMIT_BYTES) throw new ApiError(400, "InvalidParameter", `The message is ${ctx.body.length} bytes; the limit is ${MESSAGE_LIMIT_BYTES}`);
  const at = new Date().toISOString();
  const messageId = `${randomRequestId()}`;
  const caller = ctx.caller;
  store.messages.push({ topicId: id, messageId, title: body.title, body: body.body, principal: caller.type === "resource" ? caller.compartmentId : caller.userId, at });
  return { status: 200, json: { messageId, timeStamp: at } };
}

function getTopic(store: NotificationsStore, ctx: RouteContext): Reply {
  const id = param(ctx, "topicId");
  const t = store.topics.get(id);
  if (!t) throw missingTopic(id);
  return {
    status: 200,
    headers: { etag: t.id.slice(-16) },
    json: {
      name: t.name,
      topicId: t.id,
      shortTopicId: t.id.slice(-10),
      compartmentId: t.compartmentId,
      lifecycleState: t.lifecycleState,
      ...(t.description !== undefined ? { description: t.description } : {}),
      timeCreated: t.timeCreated,
      etag: t.id.slice(-16),
      freeformTags: {},
      definedTags: {},
      apiEndpoint: t.apiEndpoint,
    },
  };
}

export function onsRoutes(store: NotificationsStore): Route[] {
  return [
    { method: "POST", pattern: "/20181201/topics/:topicId/messages", operation: "PublishMessage", handler: (ctx) => publishMessage(store, ctx) },
    { method: "GET", pattern: "/20181201/topics/:topicId", operation: "GetTopic", handler: (ctx) => getTopic(store, ctx) },
  ];
}
