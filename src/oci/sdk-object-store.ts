import { Readable } from "node:stream";
import type { ObjectStorageClient } from "oci-objectstorage";
import { models } from "oci-objectstorage";
import type { ObjectStore, ReencryptDetails, SseCKey } from "./object-store.js";
import { OciCallError, toOciFailure } from "./oci-failure.js";
import { withRetry } from "./retry.js";
import type { RateLimiter } from "./rate-limiter.js";

// The SDK writes query values raw (`key=value`), so `+ & # =` in a prefix, start, page token or
// version id would be misread by the service. Every query value goes through this first.
const q = (value: string): string => encodeURIComponent(value);

const wire = (k: SseCKey): models.SSECustomerKeyDetails => ({
  algorithm: models.SSECustomerKeyDetails.Algorithm.Aes256,
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

export interface SdkObjectStoreOptions {
  limiter: RateLimiter;
  /** Retries never sleep past this instant (epoch ms). Read on every call: it changes per invocation. */
  notAfter: () => number | undefined;
}

export function createSdkObjectStore(client: ObjectStorageClient, opts: SdkObjectStoreOptions): ObjectStore {
  const call = async <T>(operation: string, fn: () => Promise<T>): Promise<T> =>
    withRetry(
      operation,
      async () => {
        await opts.limiter.take();
        return fn();
      },
      { notAfter: opts.notAfter() },
    );

  return {
    async getNamespace() {
      const r = await call("GetNamespace", () => client.getNamespace({}));
      return r.value;
    },
    async getBucket(namespace, bucket) {
      const r = await call("GetBucket", () => client.getBucket({ namespaceName: namespace, bucketName: bucket }));
      const b = r.bucket;
      return {
        namespace: b.namespace,
        name: b.name,
        compartmentId: b.compartmentId,
        kmsKeyId: b.kmsKeyId ?? undefined,
        versioning: b.versioning ?? undefined,
        objectEventsEnabled: b.objectEventsEnabled === true,
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
          fields: "name",
          ...(o.prefix ? { prefix: q(o.prefix) } : {}),
          ...(o.start !== undefined ? { start: q(o.start) } : {}),
        }),
      );
      return { items: r.listObjects.objects.map((x) => x.name), next: r.listObjects.nextStartWith ?? undefined };
    },
    async listObjectVersions(namespace, bucket, o) {
      const r = await call("ListObjectVersions", () =>
        client.listObjectVersions({
          namespaceName: namespace,
          bucketName: bucket,
          limit: o.limit ?? 1000,
          fields: "name",
          ...(o.prefix ? { prefix: q(o.prefix) } : {}),
          ...(o.start !== undefined ? { start: q(o.start) } : {}),
          ...(o.page !== undefined ? { page: q(o.page) } : {}),
        }),
      );
      return {
        items: r.objectVersionCollection.items.map((v) => ({ name: v.name, versionId: v.versionId, isDeleteMarker: v.isDeleteMarker === true })),
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
    async putObject(namespace, bucket, object, body, o = {}) {
      const bytes = Buffer.from(body, "utf8");
      try {
        await call("PutObject", () =>
          client.putObject({
            namespaceName: namespace,
            bucketName: bucket,
            objectName: object,
            // A stream, not a string: the SDK inspects a string body with Object.keys, one key
            // per character, which costs seconds and hundreds of MB for a large report. A new
            // stream per attempt, so a retry sends the whole body again.
            putObjectBody: Readable.from([bytes]),
            contentLength: bytes.length,
            contentType: "application/x-ndjson",
            ...(o.ifNoneMatch ? { ifNoneMatch: "*" } : {}),
          }),
        );
        return true;
      } catch (error) {
        const f = error instanceof OciCallError ? error.failure : toOciFailure(error);
        if (o.ifNoneMatch && (f.status === 412 || f.status === 409)) return false;
        throw error;
      }
    },
  };
}
