import { z } from "zod";
import { lazySchema } from "./lazy-schema.js";
import { CompartmentOcidSchema, KeyOcidSchema, KeyVersionOcidSchema, VaultOcidSchema } from "./ocid.js";

/**
 * OCI Events envelope, CloudEvents 0.1 (what OCI Events sends):
 *   {"cloudEventsVersion":"0.1","eventID":"…","eventType":"com.oraclecloud.objectstorage.createobject",
 *    "source":"objectstorage","eventTypeVersion":"2.0","eventTime":"…","contentType":"application/json",
 *    "extensions":{"compartmentId":"ocid1.compartment…"},"data":{…}}
 * `source` casing varies between payloads (objectstorage, ObjectStorage): never matched on.
 * Loose objects: OCI adds fields over time, and an unknown field must not reject an event.
 */
export const OciEventEnvelopeSchema = lazySchema(() => z.looseObject({
  cloudEventsVersion: z.string(),
  eventType: z.string().min(1),
  eventID: z.string().optional(),
  source: z.string().optional(),
  eventTime: z.string().optional(),
  data: z.looseObject({}).optional(),
}));

/** CloudEvents 1.0, also accepted: {"specversion":"1.0","type":"…","source":"…","id":"…","data":{…}}. */
export const CloudEvent1EnvelopeSchema = lazySchema(() => z.looseObject({
  specversion: z.string(),
  type: z.string().min(1),
  id: z.string().optional(),
  source: z.string().optional(),
  data: z.looseObject({}).optional(),
}));

export interface NormalizedEvent {
  eventType: string;
  eventId: string | undefined;
  data: Record<string, unknown>;
}

/**
 * `data` of com.oraclecloud.objectstorage.createobject:
 *   {"compartmentId":"…","resourceName":"my_object","resourceId":"/n/ns/b/my_bucket/o/my_object",
 *    "additionalDetails":{"namespace":"ns","bucketName":"my_bucket","eTag":"…","archivalState":"Available"}}
 */
export const ObjectStorageObjectEventDataSchema = lazySchema(() => z.looseObject({
  compartmentId: z.string().optional(),
  resourceName: z.string().min(1),
  resourceId: z.string().optional(),
  additionalDetails: z.looseObject({
    namespace: z.string().min(1),
    bucketName: z.string().min(1),
    // Not in any sample payload; used when a versioned bucket's event carries it (UNCONFIRMED).
    versionId: z.string().min(1).optional(),
  }),
}));
export type ObjectStorageObjectEventData = z.infer<typeof ObjectStorageObjectEventDataSchema>;

/**
 * `data` of com.oraclecloud.keymanagementservice.createkeyversion.end / autokeyrotate.end. No sample
 * payload is published (UNCONFIRMED): by the envelope convention resourceId is the key OCID (or the
 * new key version's), and additionalDetails may carry keyId, vaultId and the new keyVersionId.
 */
export const KeyManagementRotationEventDataSchema = lazySchema(() => z.looseObject({
  compartmentId: CompartmentOcidSchema.optional(),
  resourceId: z.union([KeyOcidSchema, KeyVersionOcidSchema], { error: "must be a key or key version OCID" }),
  resourceName: z.string().max(1024).optional(),
  // What OCI puts here is UNCONFIRMED; whatever is used must at least be well-formed.
  additionalDetails: z
    .looseObject({
      keyId: KeyOcidSchema.optional(),
      vaultId: VaultOcidSchema.optional(),
      keyVersionId: KeyVersionOcidSchema.optional(),
      currentKeyVersion: KeyVersionOcidSchema.optional(),
    })
    .optional(),
}));
export type KeyManagementRotationEventData = z.infer<typeof KeyManagementRotationEventDataSchema>;

export function normalizeEvent(body: Record<string, unknown>): NormalizedEvent | z.ZodError {
  if ("cloudEventsVersion" in body) {
    const r = OciEventEnvelopeSchema.safeParse(body);
    if (!r.success) return r.error;
    return { eventType: r.data.eventType, eventId: r.data.eventID, data: r.data.data ?? {} };
  }
  const r = CloudEvent1EnvelopeSchema.safeParse(body);
  if (!r.success) return r.error;
  return { eventType: r.data.type, eventId: r.data.id, data: r.data.data ?? {} };
}
