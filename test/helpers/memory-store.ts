import type { BucketInfo, ObjectStore, ObjectVersionEntry, Page, ReencryptDetails } from "../../src/oci/object-store.js";
import { OciCallError } from "../../src/oci/oci-failure.js";

/** An in-memory ObjectStore port for engine unit tests (the SDK itself is exercised against the emulator). */
export class MemoryStore implements ObjectStore {
  versions: ObjectVersionEntry[] = [];
  calls: { object: string; versionId: string | undefined; details: ReencryptDetails }[] = [];
  failOn = new Map<string, { status: number; code: string }>();
  delayMs = 0;
  listCalls = 0;

  constructor(names: string[] = [], versionsEach = 1) {
    for (const name of [...names].sort()) for (let v = 0; v < versionsEach; v++) this.versions.push({ name, versionId: `${name}#${versionsEach - v}`, isDeleteMarker: false });
  }

  async getNamespace(): Promise<string> {
    return "ns";
  }
  async getBucket(namespace: string, bucket: string): Promise<BucketInfo> {
    return { namespace, name: bucket, compartmentId: "c", kmsKeyId: undefined, versioning: "Enabled", objectEventsEnabled: false };
  }
  async listBuckets(): Promise<Page<string>> {
    return { items: [], next: undefined };
  }
  async listObjects(_ns: string, _b: string, o: { prefix: string; start?: string | undefined; limit?: number }) {
    this.listCalls++;
    const names = [...new Set(this.versions.filter((v) => !v.isDeleteMarker).map((v) => v.name))].filter(
      (n) => n.startsWith(o.prefix) && (o.start === undefined || n >= o.start),
    );
    const limit = o.limit ?? 1000;
    return { items: names.slice(0, limit), next: names[limit] };
  }
  async listObjectVersions(_ns: string, _b: string, o: { prefix: string; start?: string | undefined; page?: string | undefined; limit?: number }) {
    this.listCalls++;
    const all = this.versions.filter((v) => v.name.startsWith(o.prefix) && (o.start === undefined || v.name >= o.start));
    const from = o.page === undefined ? 0 : Number(o.page);
    const limit = o.limit ?? 1000;
    return { items: all.slice(from, from + limit), next: from + limit < all.length ? String(from + limit) : undefined };
  }
  async reencryptObject(r: { namespace: string; bucket: string; object: string; versionId?: string | undefined; details: ReencryptDetails }) {
    if (this.delayMs > 0) await new Promise((res) => setTimeout(res, this.delayMs));
    const f = this.failOn.get(r.object);
    if (f) throw new OciCallError({ ...f, message: "injected", opcRequestId: "opc-1" }, "ReencryptObject");
    this.calls.push({ object: r.object, versionId: r.versionId, details: r.details });
    return { opcRequestId: "opc" };
  }
  async putObject() {
    return true;
  }
}
