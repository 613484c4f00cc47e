import type { BucketInfo, ObjectStore, ObjectVersionEntry, Page, ReencryptDetails, RetentionRuleInfo, StoredObject, WorkRequestInfo } from "../../src/oci/object-store.js";
import { compareNames } from "../../src/oci/name-order.js";
import { OciCallError } from "../../src/oci/oci-failure.js";

/** What getBucket answers unless a test replaces it. */
export const MEMORY_BUCKET: BucketInfo = {
  namespace: "ns",
  name: "b",
  compartmentId: "c",
  kmsKeyId: undefined,
  versioning: "Enabled",
  objectEventsEnabled: false,
  isReadOnly: false,
  replicationEnabled: false,
  isBucketKeyEnabled: false,
  storageTier: "Standard",
};

/** An in-memory ObjectStore port for engine unit tests (the SDK itself is exercised against the emulator). */
export class MemoryStore implements ObjectStore {
  versions: ObjectVersionEntry[] = [];
  calls: { object: string; versionId: string | undefined; details: ReencryptDetails }[] = [];
  failOn = new Map<string, { status: number; code: string }>();
  delayMs = 0;
  listCalls = 0;
  objects = new Map<string, { body: Buffer; etag: string }>();
  workRequests = new Map<string, WorkRequestInfo>();
  /** When each object of `objects` was last written (epoch ms). */
  modified = new Map<string, number>();
  private etags = 0;

  constructor(names: string[] = [], versionsEach = 1) {
    for (const name of [...names].sort(compareNames)) for (let v = 0; v < versionsEach; v++) this.versions.push({ name, versionId: `${name}#${versionsEach - v}`, isDeleteMarker: false });
  }

  async getNamespace(): Promise<string> {
    return "ns";
  }
  async getBucket(namespace: string, bucket: string): Promise<BucketInfo> {
    return { ...MEMORY_BUCKET, namespace, name: bucket };
  }
  async listBuckets(): Promise<Page<string>> {
    return { items: [], next: undefined };
  }
  private inRange(name: string, o: { prefix: string; start?: string | undefined; end?: string | undefined }): boolean {
    return name.startsWith(o.prefix) && (o.start === undefined || compareNames(name, o.start) >= 0) && (o.end === undefined || compareNames(name, o.end) < 0);
  }
  async listObjects(_ns: string, _b: string, o: { prefix: string; start?: string | undefined; end?: string | undefined; limit?: number }) {
    this.listCalls++;
    const names = [...new Set(this.versions.filter((v) => !v.isDeleteMarker).map((v) => v.name))].filter((n) => this.inRange(n, o));
    const limit = o.limit ?? 1000;
    return { items: names.slice(0, limit).map((name) => ({ name })), next: names[limit] };
  }
  async listObjectTimes(_ns: string, _b: string, o: { prefix: string; start?: string | undefined; limit?: number }) {
    const names = [...this.objects.keys()].filter((n) => this.inRange(n, o)).sort(compareNames);
    const limit = o.limit ?? 1000;
    return { items: names.slice(0, limit).map((name) => ({ name, modifiedAt: this.modified.get(name) })), next: names[limit] };
  }
  async deleteObject(_ns: string, _b: string, name: string): Promise<void> {
    this.objects.delete(name);
    this.modified.delete(name);
  }
  async listObjectVersions(_ns: string, _b: string, o: { prefix: string; start?: string | undefined; end?: string | undefined; page?: string | undefined; limit?: number }) {
    this.listCalls++;
    const all = this.versions.filter((v) => this.inRange(v.name, o));
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
  retentionRules: RetentionRuleInfo[] = [];
  async listRetentionRules(): Promise<RetentionRuleInfo[]> {
    return this.retentionRules;
  }
  async reencryptBucket(_ns: string, bucket: string) {
    const id = `wr-${bucket}-${this.workRequests.size}`;
    this.workRequests.set(id, { id, status: "ACCEPTED", percentComplete: 0 });
    return { workRequestId: id };
  }
  async getWorkRequest(id: string): Promise<WorkRequestInfo> {
    const w = this.workRequests.get(id);
    if (!w) throw new OciCallError({ status: 404, code: "NotFound", message: "no such work request", opcRequestId: undefined }, "GetWorkRequest");
    return { ...w };
  }
  async getObject(_ns: string, _b: string, name: string): Promise<StoredObject | undefined> {
    const o = this.objects.get(name);
    return o && { body: Buffer.from(o.body), etag: o.etag };
  }
  async putObject(_ns: string, _b: string, name: string, body: string | Buffer, o: { ifNoneMatch?: boolean; ifMatch?: string | undefined } = {}) {
    const existing = this.objects.get(name);
    if (o.ifNoneMatch && existing) return undefined;
    if (o.ifMatch !== undefined && existing?.etag !== o.ifMatch) return undefined;
    const etag = `e${++this.etags}`;
    this.objects.set(name, { body: Buffer.from(body), etag });
    this.modified.set(name, Date.now());
    return { etag };
  }
}
