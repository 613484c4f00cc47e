import { Readable } from "node:stream";
import type { ObjectStorageClient, models, requests } from "oci-objectstorage";
import type { ObjectStore, ReencryptDetails, SseCKey } from "./object-store.js";
import { redactText } from "../log.js";
import { OciCallError, toOciFailure } from "./oci-failure.js";
import { withRetry } from "./retry.js";
import type { RateLimiter } from "./rate-limiter.js";

// The SDK writes query values raw (`key=value`), so `+ & # =` in a prefix, start, page token or
// version id would be misread by the service. Every query value goes through this first.
const q = (value: string): string => encodeURIComponent(value);

// The SDK's enum values as literals: a value import of oci-objectstorage would load the whole
// package (client, models, upload manager) at cold start, before any invocation needs it.
const AES256 = "AES256" as models.SSECustomerKeyDetails.Algorithm.Aes256;
const APPROXIMATE_COUNT = "approximateCount" as requests.GetBucketRequest.Fields.ApproximateCount;

const wire = (k: SseCKey): models.SSECustomerKeyDetails => ({
  algorithm: AES256,
  key: k.key.reveal(),
  keySha256: k.keySha256,
});

function toWireDetails(d: ReencryptDetails): models.ReencryptObjectDetails {
  const out: models.ReencryptObjectDetails = {};
  if (d.kmsKeyId !== undefined) out.kmsKeyId = d.kmsKeyId;
  if (d.sseCustomerKey !== undefined) out.sseCustomerKey = wire(d.sseCustomerKey);
  if (d.sourceSseCustomerKey !== undefined) out.sourceSseCustomerKey = wire(d.sourceSseCustomerKey);
  return out;
}

// Listings ask for the tier too (contract §11): a failure on an Archive or Infrequent Access object
// gets a hint naming it, and report lines carry it.
const LISTING_FIELDS = "name,storageTier,archivalState";

function tierOf(x: { storageTier?: unknown; archivalState?: unknown }): { storageTier?: string; archivalState?: string } {
  return {
    ...(typeof x.storageTier === "string" && x.storageTier.length > 0 ? { storageTier: x.storageTier } : {}),
    ...(typeof x.archivalState === "string" && x.archivalState.length > 0 ? { archivalState: x.archivalState } : {}),
  };
}

export interface SdkObjectStoreOptions {
  limiter: RateLimiter;
  /** Retries never sleep past this instant (epoch ms). Read on every call: it changes per invocation. */
  notAfter: () => number | undefined;
}

const failureOf = (error: unknown) => (error instanceof OciCallError ? error.failure : toOciFailure(error));

async function readAll(body: unknown): Promise<Buffer> {
  if (body === null || body === undefined) return Buffer.alloc(0);
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === "string") return Buffer.from(body, "utf8");
  if (typeof (body as ReadableStream).getReader === "function") {
    return Buffer.from(await new Response(body as ReadableStream).arrayBuffer());
  }
  const chunks: Buffer[] = [];
  for await (const c of body as AsyncIterable<Buffer | string>) chunks.push(typeof c === "string" ? Buffer.from(c) : c);
  return Buffer.concat(chunks);
}

export function createSdkObjectStore(client: ObjectStorageClient, opts: SdkObjectStoreOptions): ObjectStore {
  const call = async <T>(operation: string, fn: () => Promise<T>): Promise<T> =>
    withRetry(
      operation,
      async () => {
        await opts.limiter.take();
        return fn();
      },
      {
        notAfter: opts.notAfter(),
        // Every 429 slows the whole shard down, retried or not.
        onFailure: (f) => {
          if (f.status === 429) opts.limiter.throttled();
        },
      },
    );

  return {
    async getNamespace() {
      const r = await call("GetNamespace", () => client.getNamespace({}));
      return r.value;
    },
    async getBucket(namespace, bucket, o = {}) {
      const r = await call("GetBucket", () =>
        client.getBucket({ namespaceName: namespace, bucketName: bucket, ...(o.approximateCount ? { fields: [APPROXIMATE_COUNT] } : {}) }),
      );
      const b = r.bucket;
      return {
        namespace: b.namespace,
        name: b.name,
        compartmentId: b.compartmentId,
        kmsKeyId: b.kmsKeyId ?? undefined,
        versioning: b.versioning ?? undefined,
        objectEventsEnabled: b.objectEventsEnabled === true,
        isReadOnly: b.isReadOnly === true,
        replicationEnabled: b.replicationEnabled === true,
        ...(typeof b.isBucketKeyEnabled === "boolean" ? { isBucketKeyEnabled: b.isBucketKeyEnabled } : {}),
        storageTier: b.storageTier === undefined ? undefined : String(b.storageTier),
        ...(typeof b.approximateCount === "number" ? { approximateCount: b.approximateCount } : {}),
      };
    },
    async listBuckets(namespace, compartmentId, page) {
      const r = await call("ListBuckets", () =>
        client.listBuckets({ namespaceName: namespace, compartmentId: q(compartmentId), limit: 1000, ...(page ? { page: q(page) } : {}) }),
      );
      return { items: r.items.map((b) => b.name), next: r.opcNextPage ?? undefined };
    },
    async listObjects(namespace, bucket, o) {
      const r = await call("ListObjects", () =>
        client.listObjects({
          namespaceName: namespace,
          bucketName: bucket,
          limit: o.limit ?? 1000,
          fields: LISTING_FIELDS,
          ...(o.prefix ? { prefix: q(o.prefix) } : {}),
          ...(o.start !== undefined ? { start: q(o.start) } : {}),
          ...(o.end !== undefined ? { end: q(o.end) } : {}),
        }),
      );
      return { items: r.listObjects.objects.map((x) => ({ name: x.name, ...tierOf(x) })), next: r.listObjects.nextStartWith ?? undefined };
    },
    async listObjectTimes(namespace, bucket, o) {
      const r = await call("ListObjects", () =>
        client.listObjects({
          namespaceName: namespace,
          bucketName: bucket,
          limit: o.limit ?? 1000,
          fields: "name,timeModified",
          ...(o.prefix ? { prefix: q(o.prefix) } : {}),
          ...(o.start !== undefined ? { start: q(o.start) } : {}),
        }),
      );
      const at = (t: unknown): number | undefined => {
        const ms = t instanceof Date ? t.getTime() : typeof t === "string" ? Date.parse(t) : Number.NaN;
        return Number.isFinite(ms) ? ms : undefined;
      };
      return { items: r.listObjects.objects.map((x) => ({ name: x.name, modifiedAt: at(x.timeModified) })), next: r.listObjects.nextStartWith ?? undefined };
    },
    async listObjectVersions(namespace, bucket, o) {
      const r = await call("ListObjectVersions", () =>
        client.listObjectVersions({
          namespaceName: namespace,
          bucketName: bucket,
          limit: o.limit ?? 1000,
          fields: LISTING_FIELDS,
          ...(o.prefix ? { prefix: q(o.prefix) } : {}),
          ...(o.start !== undefined ? { start: q(o.start) } : {}),
          ...(o.end !== undefined ? { end: q(o.end) } : {}),
          ...(o.page !== undefined ? { page: q(o.page) } : {}),
        }),
      );
      return {
        items: r.objectVersionCollection.items.map((v) => ({ name: v.name, versionId: v.versionId, isDeleteMarker: v.isDeleteMarker === true, ...tierOf(v) })),
        next: r.opcNextPage ?? undefined,
      };
    },
    async reencryptObject(req) {
      const r = await call("ReencryptObject", () =>
        client.reencryptObject({
          namespaceName: req.namespace,
          bucketName: req.bucket,
          objectName: req.object,
          reencryptObjectDetails: toWireDetails(req.details),
          ...(req.versionId !== undefined ? { versionId: q(req.versionId) } : {}),
        }),
      );
      return { opcRequestId: r.opcRequestId || undefined };
    },
    async listRetentionRules(namespace, bucket) {
      const r = await call("ListRetentionRules", () => client.listRetentionRules({ namespaceName: namespace, bucketName: bucket }));
      return r.retentionRuleCollection.items.map((x) => ({
        displayName: x.displayName,
        duration: x.duration ? { amount: x.duration.timeAmount, unit: String(x.duration.timeUnit) } : undefined,
        locked: x.timeRuleLocked !== undefined && x.timeRuleLocked !== null && new Date(x.timeRuleLocked).getTime() <= Date.now(),
      }));
    },
    async reencryptBucket(namespace, bucket, o = {}) {
      const keyOnly = o.bucketKeyOnly !== undefined ? { isReencryptBucketKeyOnly: o.bucketKeyOnly } : {};
      const r = await call("ReencryptBucket", () => client.reencryptBucket({ namespaceName: namespace, bucketName: bucket, ...keyOnly }));
      if (!r.opcWorkRequestId) throw new OciCallError({ status: 502, code: "NoWorkRequest", message: "ReencryptBucket answered without a work request id", opcRequestId: r.opcRequestId ? redactText(r.opcRequestId).slice(0, 500) : undefined }, "ReencryptBucket");
      return { workRequestId: r.opcWorkRequestId };
    },
    async getWorkRequest(workRequestId) {
      const r = await call("GetWorkRequest", () => client.getWorkRequest({ workRequestId }));
      const w = r.workRequest;
      // The status is the service's text, kept in job records: redacted like any other.
      return { id: w.id ?? workRequestId, status: redactText(String(w.status ?? "UNKNOWN_VALUE")).slice(0, 64), percentComplete: w.percentComplete ?? 0 };
    },
    async getObject(namespace, bucket, object) {
      try {
        return await call("GetObject", async () => {
          const r = await client.getObject({ namespaceName: namespace, bucketName: bucket, objectName: object });
          return { body: await readAll(r.value), etag: r.eTag };
        });
      } catch (error) {
        if (failureOf(error).status === 404) return undefined;
        throw error;
      }
    },
    async putObject(namespace, bucket, object, body, o = {}) {
      const bytes = typeof body === "string" ? Buffer.from(body, "utf8") : body;
      try {
        const r = await call("PutObject", () =>
          client.putObject({
            namespaceName: namespace,
            bucketName: bucket,
            objectName: object,
            // A stream, not a string: the SDK inspects a string body with Object.keys, one key
            // per character, which costs seconds and hundreds of MB for a large report. A new
            // stream per attempt, so a retry sends the whole body again.
            putObjectBody: Readable.from([bytes]),
            contentLength: bytes.length,
            contentType: o.contentType ?? "application/json",
            ...(o.ifNoneMatch ? { ifNoneMatch: "*" } : {}),
            ...(o.ifMatch !== undefined ? { ifMatch: o.ifMatch } : {}),
          }),
        );
        return { etag: r.eTag };
      } catch (error) {
        const f = failureOf(error);
        if ((o.ifNoneMatch || o.ifMatch !== undefined) && (f.status === 412 || f.status === 409)) return undefined;
        throw error;
      }
    },
    async deleteObject(namespace, bucket, object) {
      try {
        await call("DeleteObject", () => client.deleteObject({ namespaceName: namespace, bucketName: bucket, objectName: object }));
      } catch (error) {
        if (failureOf(error).status !== 404) throw error;
      }
    },
  };
}
