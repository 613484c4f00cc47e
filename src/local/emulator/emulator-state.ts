import { createHash } from "node:crypto";
import { invalidParameter, notFound } from "./api-error.js";
import { compareNames } from "./compare-names.js";
import type {
  ArchivalState,
  Bucket,
  BucketStorageTier,
  ObjectVersion,
  ObjectVersionView,
  RetentionRule,
  StorageTier,
  Versioning,
  Wrapping,
} from "./model.js";
import { randomEtag, randomOcid, randomVersionId } from "./random-ids.js";
import { Replication } from "./replication.js";
import { RetentionRules, type RetentionRuleInput } from "./retention-rules.js";
import { ServicesState } from "./services-state.js";
import { sseCKeyProblem, sseCKeySha256 } from "./sse-c.js";
import { archivalStateOf, Tiers } from "./storage-tiers.js";
import { WorkRequests, type OtherKeyPolicy } from "./work-requests.js";

export type { EmulatorStateOptions } from "./vault-state.js";
export type { RuleActionInput, RuleInput } from "./services-state.js";

export interface PutObjectOptions {
  content?: string | Buffer | undefined;
  /** base64 of 32 bytes: the version is SSE-C. */
  sseCustomerKey?: string | undefined;
  /** Wrap with this Vault key instead of the bucket's. */
  kmsKeyId?: string | undefined;
  /** Wrap with this (possibly old) version of the key rather than its current one: for stale-object fixtures. */
  keyVersionId?: string | undefined;
  contentType?: string | undefined;
  /** Default Standard; always Archive in an Archive bucket. */
  storageTier?: StorageTier | undefined;
  /** Archive tier only (default Archived): see `setArchivalState`. */
  archivalState?: ArchivalState | undefined;
}

/** The fields of a version that `writeVersion` does not make up itself. */
export interface VersionFields {
  content: Buffer;
  contentType: string;
  wrapping: Wrapping;
  storageTier: StorageTier;
  /** Replicas keep the source's. */
  etag?: string | undefined;
  md5?: string | undefined;
}

const now = (): string => new Date().toISOString();

const copyWrapping = (w: Wrapping): Wrapping => ({ ...w });

export function wrappingLabel(w: Wrapping): string {
  switch (w.kind) {
    case "oracle":
      return "oracle";
    case "kms":
      return `kms:${w.keyVersionId}`;
    case "sse-c":
      return `sse-c:${w.keySha256}`;
  }
}

/**
 * The ground truth behind the emulator's REST API: vaults, keys and key versions, buckets, object
 * versions and exactly how each one's data key is wrapped, secrets, functions and event rules.
 * Tests and the demo arrange a world through these methods and assert on it afterwards.
 */
export class EmulatorState extends ServicesState {
  /** By bucket name: one namespace per emulator. */
  readonly buckets = new Map<string, Bucket>();
  /** ReencryptBucket work requests (`workRequests.records`, `await workRequests.idle()`). */
  readonly workRequests: WorkRequests = new WorkRequests(this);
  /** Retention rules per bucket (`list(bucket)`, `activeFor(bucket, version)`). */
  readonly retentionRules = new RetentionRules();
  /** Archive restores (`setRestoreDelay(ms)`). */
  readonly tiers = new Tiers();
  /** Replication policies (`stats`, `pairs()`); set them with `setReplication`. */
  readonly replication: Replication = new Replication(this);

  // bucket → object name → versions, newest first
  private readonly objects = new Map<string, Map<string, ObjectVersion[]>>();
  // Sorted names per bucket, rebuilt lazily: listing a large bucket page by page must not sort each time.
  private readonly sortedNameCache = new Map<string, string[]>();
  private seq = 0;

  // ---- Buckets and objects ----

  createBucket(o: {
    name: string;
    compartmentId?: string | undefined;
    kmsKeyId?: string | undefined;
    versioning?: Versioning | undefined;
    objectEventsEnabled?: boolean | undefined;
    storageTier?: BucketStorageTier | undefined;
    isBucketKeyEnabled?: boolean | undefined;
  }): Bucket {
    if (this.buckets.has(o.name)) throw new Error(`createBucket: bucket ${o.name} already exists`);
    if (o.kmsKeyId !== undefined && !this.keys.has(o.kmsKeyId)) throw new Error(`createBucket: unknown key ${o.kmsKeyId}`);
    const bucket: Bucket = {
      id: randomOcid("bucket"),
      namespace: this.namespace,
      name: o.name,
      compartmentId: o.compartmentId ?? this.defaultCompartmentId,
      ...(o.kmsKeyId !== undefined ? { kmsKeyId: o.kmsKeyId } : {}),
      versioning: o.versioning ?? "Disabled",
      objectEventsEnabled: o.objectEventsEnabled ?? false,
      storageTier: o.storageTier ?? "Standard",
      isBucketKeyEnabled: o.isBucketKeyEnabled ?? false,
      replicationEnabled: false,
      isReadOnly: false,
      etag: randomEtag(),
      createdBy: randomOcid("user"),
      timeCreated: now(),
    };
    this.buckets.set(o.name, bucket);
    this.objects.set(o.name, new Map());
    return bucket;
  }

  /**
   * Change a bucket as UpdateBucket would, without its checks; `kmsKeyId: null` or `""` removes the
   * bucket's key (back to Oracle-managed). Versions already written keep their wrapping.
   */
  updateBucket(
    name: string,
    patch: {
      kmsKeyId?: string | null | undefined;
      versioning?: Versioning | undefined;
      objectEventsEnabled?: boolean | undefined;
      isBucketKeyEnabled?: boolean | undefined;
      compartmentId?: string | undefined;
    },
  ): Bucket {
    const bucket = this.requireBucket(name);
    if (patch.kmsKeyId === null || patch.kmsKeyId === "") delete bucket.kmsKeyId;
    else if (patch.kmsKeyId !== undefined) {
      if (!this.keys.has(patch.kmsKeyId)) throw new Error(`updateBucket: unknown key ${patch.kmsKeyId}`);
      bucket.kmsKeyId = patch.kmsKeyId;
    }
    if (patch.versioning !== undefined) bucket.versioning = patch.versioning;
    if (patch.objectEventsEnabled !== undefined) bucket.objectEventsEnabled = patch.objectEventsEnabled;
    if (patch.isBucketKeyEnabled !== undefined) bucket.isBucketKeyEnabled = patch.isBucketKeyEnabled;
    if (patch.compartmentId !== undefined) bucket.compartmentId = patch.compartmentId;
    bucket.etag = randomEtag();
    return bucket;
  }

  /**
   * Makes `destination` the replication destination of `source` (read-only; every later write
   * into the source is copied into it). `copyExisting` also copies the source's current objects.
   */
  setReplication(source: string, destination: string, o: { copyExisting?: boolean | undefined } = {}): void {
    this.replication.link(source, destination, o);
  }

  /** Removes `source`'s replication policy; its destination is writable again. */
  removeReplication(source: string): void {
    this.replication.unlink(source);
  }

  /** Adds a retention rule to a bucket (`validate: false` skips OCI's checks, e.g. for a rule already locked). */
  createRetentionRule(bucketName: string, input: RetentionRuleInput = {}, o: { validate?: boolean } = {}): RetentionRule {
    this.requireBucket(bucketName);
    return this.retentionRules.create(bucketName, input, o);
  }

  /** The retention rule that protects a version now (the newest version without `versionId`), if any. */
  activeRetentionRule(bucketName: string, name: string, versionId?: string): RetentionRule | undefined {
    const v = this.findVersion(bucketName, name, versionId);
    return v && !v.isDeleteMarker ? this.retentionRules.activeFor(bucketName, v) : undefined;
  }

  bucket(name: string): Bucket | undefined {
    return this.buckets.get(name);
  }

  private requireBucket(name: string): Bucket {
    const bucket = this.buckets.get(name);
    if (!bucket) throw notFound("BucketNotFound", bucketNotFoundMessage(name, this.namespace));
    return bucket;
  }

  private objectMap(bucket: string): Map<string, ObjectVersion[]> {
    this.requireBucket(bucket);
    let map = this.objects.get(bucket);
    if (!map) {
      map = new Map();
      this.objects.set(bucket, map);
    }
    return map;
  }

  /** The wrapping a write gets: SSE-C if a key is given, else the Vault key (given or the bucket's), else Oracle-managed. */
  resolveWriteWrapping(bucketName: string, o: Pick<PutObjectOptions, "sseCustomerKey" | "kmsKeyId" | "keyVersionId">): Wrapping {
    const bucket = this.requireBucket(bucketName);
    if (o.sseCustomerKey !== undefined) {
      const problem = sseCKeyProblem(o.sseCustomerKey);
      if (problem) throw invalidParameter(`The customer-provided encryption key ${problem}`);
      return { kind: "sse-c", keySha256: sseCKeySha256(o.sseCustomerKey) };
    }
    const kmsKeyId = o.kmsKeyId ?? bucket.kmsKeyId;
    if (kmsKeyId === undefined) return { kind: "oracle" };
    const key = this.usableKey(kmsKeyId);
    let keyVersionId = key.currentKeyVersion;
    if (o.keyVersionId !== undefined) {
      if (!key.versions.some((v) => v.id === o.keyVersionId)) {
        throw invalidParameter(`Key version ${o.keyVersionId} does not belong to key ${kmsKeyId}`);
      }
      keyVersionId = o.keyVersionId;
    }
    return { kind: "kms", kmsKeyId, keyVersionId };
  }

  /** A write (PutObject, or a test's arrangement): replicated when the bucket is a replication source. */
  putObject(bucketName: string, name: string, o: PutObjectOptions = {}): { versionId: string; etag: string } {
    const bucket = this.requireBucket(bucketName);
    const wrapping = this.resolveWriteWrapping(bucketName, o);
    const content = typeof o.content === "string" ? Buffer.from(o.content, "utf8") : (o.content ?? Buffer.alloc(0));
    const storageTier = bucket.storageTier === "Archive" ? "Archive" : (o.storageTier ?? "Standard");
    const version = this.writeVersion(bucketName, name, {
      content,
      contentType: o.contentType ?? "application/octet-stream",
      wrapping,
      storageTier,
    });
    if (o.archivalState !== undefined) this.tiers.setArchivalState(version, o.archivalState);
    this.replication.afterPut(bucketName, version);
    return { versionId: version.versionId, etag: version.etag };
  }

  /** Adds a new version as the bucket's versioning says (no checks, no replication): the core of every write. */
  writeVersion(bucketName: string, name: string, f: VersionFields): ObjectVersion {
    const bucket = this.requireBucket(bucketName);
    const at = now();
    const version: ObjectVersion = {
      bucket: bucketName,
      name,
      versionId: randomVersionId(),
      seq: ++this.seq,
      isDeleteMarker: false,
      content: f.content,
      contentType: f.contentType,
      etag: f.etag ?? randomEtag(),
      md5: f.md5 ?? createHash("md5").update(f.content).digest("base64"),
      timeCreated: at,
      timeModified: at,
      wrapping: f.wrapping,
      reencryptCount: 0,
      history: [],
      storageTier: f.storageTier,
    };
    this.insertVersion(bucket, version);
    return version;
  }

  /** Moves a version's Last-Modified (retention rules count from it), e.g. to make it older than a rule's duration. */
  setLastModified(bucketName: string, name: string, at: Date | string, versionId?: string): void {
    const v = this.findVersion(bucketName, name, versionId);
    if (!v) throw new Error(`setLastModified: no version of ${bucketName}/${name}`);
    v.timeModified = new Date(at).toISOString();
  }

  /** Puts an Archive-tier version in an archival state (Restoring lasts until set otherwise). */
  setArchivalState(bucketName: string, name: string, state: ArchivalState, versionId?: string): void {
    const v = this.findVersion(bucketName, name, versionId);
    if (!v) throw new Error(`setArchivalState: no version of ${bucketName}/${name}`);
    this.tiers.setArchivalState(v, state);
  }

  /** How long RestoreObjects takes before the object is Restored (default 0 ms: at once). */
  setRestoreDelay(ms: number): void {
    this.tiers.setRestoreDelay(ms);
  }

  private insertVersion(bucket: Bucket, version: ObjectVersion): void {
    const map = this.objectMap(bucket.name);
    const existing = map.get(version.name);
    if (!existing) {
      map.set(version.name, [version]);
      this.sortedNameCache.delete(bucket.name);
      return;
    }
    if (bucket.versioning === "Enabled") existing.unshift(version);
    else if (bucket.versioning === "Disabled") existing.splice(0, existing.length, version);
    // Suspended (emulator simplification): the write replaces the latest version, older ones stay.
    else existing.splice(0, 1, version);
  }

  /**
   * Deletes as DeleteObject does: with a versionId that version is gone for good; otherwise a
   * versioned bucket gets a delete marker and an unversioned one loses the object.
   */
  deleteObject(bucketName: string, name: string, versionId?: string): boolean {
    const bucket = this.requireBucket(bucketName);
    const map = this.objectMap(bucketName);
    const versions = map.get(name);
    if (!versions || versions.length === 0) return false;
    if (versionId !== undefined) {
      const i = versions.findIndex((v) => v.versionId === versionId);
      if (i < 0) return false;
      versions.splice(i, 1);
    } else if (bucket.versioning === "Disabled") {
      versions.length = 0;
    } else {
      const at = now();
      const marker: ObjectVersion = {
        bucket: bucketName,
        name,
        versionId: randomVersionId(),
        seq: ++this.seq,
        isDeleteMarker: true,
        content: Buffer.alloc(0),
        contentType: "application/octet-stream",
        etag: randomEtag(),
        md5: "",
        timeCreated: at,
        timeModified: at,
        wrapping: { kind: "oracle" },
        reencryptCount: 0,
        history: [],
        storageTier: "Standard",
      };
      if (bucket.versioning === "Enabled") versions.unshift(marker);
      else versions.splice(0, 1, marker);
    }
    if (versions.length === 0) {
      map.delete(name);
      this.sortedNameCache.delete(bucketName);
    }
    if (versionId === undefined) this.replication.afterDelete(bucketName, name);
    return true;
  }

  /** Every version of one object, newest first (delete markers included). */
  versionsOf(bucketName: string, name: string): readonly ObjectVersion[] {
    return this.objectMap(bucketName).get(name) ?? [];
  }

  /** The version a request addresses: the given versionId, or the newest. Delete markers are returned too. */
  findVersion(bucketName: string, name: string, versionId?: string): ObjectVersion | undefined {
    const versions = this.versionsOf(bucketName, name);
    return versionId === undefined ? versions[0] : versions.find((v) => v.versionId === versionId);
  }

  /** Object names of a bucket in listing order (names whose versions are all gone are absent). */
  sortedNames(bucketName: string): readonly string[] {
    let names = this.sortedNameCache.get(bucketName);
    if (!names) {
      names = [...this.objectMap(bucketName).keys()].sort(compareNames);
      this.sortedNameCache.set(bucketName, names);
    }
    return names;
  }

  /** Rewraps one version's data key and keeps its history (the core of ReencryptObject). */
  rewrap(version: ObjectVersion, wrapping: Wrapping): void {
    version.history.push(version.wrapping);
    version.wrapping = wrapping;
    version.reencryptCount++;
  }

  /** The live object versions (delete markers left out) of a bucket in listing order: the records themselves, not views. */
  liveVersionRecords(bucketName: string): ObjectVersion[] {
    const map = this.objectMap(bucketName);
    const out: ObjectVersion[] = [];
    for (const name of this.sortedNames(bucketName)) {
      for (const v of map.get(name) ?? []) if (!v.isDeleteMarker) out.push(v);
    }
    return out;
  }

  /** ReencryptBucket work requests re-wrap this many object versions per second in the background (default 2000; 0 pauses, Infinity is one tick). */
  setWorkRequestRate(versionsPerSecond: number): void {
    this.workRequests.setRate(versionsPerSecond);
  }

  /**
   * What ReencryptBucket does to versions wrapped by another Vault key or Oracle-managed: "leave"
   * (default, conservative) or "rewrap" under the bucket's key. Real OCI is UNCONFIRMED.
   */
  setReencryptBucketOtherKeyPolicy(policy: OtherKeyPolicy): void {
    this.workRequests.setOtherKeyPolicy(policy);
  }

  /** All object versions (or a bucket's), sorted by bucket, name, then newest first. */
  objectVersions(bucketName?: string, prefix = ""): ObjectVersionView[] {
    const buckets = bucketName === undefined ? [...this.buckets.keys()].sort(compareNames) : [bucketName];
    const out: ObjectVersionView[] = [];
    for (const b of buckets) {
      const map = this.objectMap(b);
      for (const name of this.sortedNames(b)) {
        if (!name.startsWith(prefix)) continue;
        for (const v of map.get(name) ?? []) out.push(toView(v));
      }
    }
    return out;
  }

  /** How many (non-delete-marker) object versions each wrapping has: `kms:<keyVersionId>`, `oracle`, `sse-c:<sha>`. */
  wrappingCounts(bucketName?: string): Record<string, number> {
    const counts: Record<string, number> = {};
    for (const v of this.objectVersions(bucketName)) {
      if (v.isDeleteMarker) continue;
      const label = wrappingLabel(v.wrapping);
      counts[label] = (counts[label] ?? 0) + 1;
    }
    return counts;
  }

  /** A JSON snapshot of the whole model (object contents and secret material left out). */
  toJSON(): Record<string, unknown> {
    return {
      namespace: this.namespace,
      tenancyId: this.tenancyId,
      vaults: [...this.vaults.values()],
      keys: [...this.keys.values()],
      buckets: [...this.buckets.values()],
      objects: this.objectVersions().map((v) => ({
        ...v,
        size: this.findVersion(v.bucket, v.name, v.versionId)?.content.length ?? 0,
      })),
      secrets: [...this.secrets.values()].map(({ id, compartmentId, versionNumber }) => ({ id, compartmentId, versionNumber })),
      applications: [...this.applications.values()],
      functions: [...this.functionRecords.values()],
      rules: [...this.rules.values()],
      workRequests: [...this.workRequests.records.values()],
      retentionRules: this.retentionRules.snapshot(),
      replication: this.replication.pairs(),
    };
  }
}

export function bucketNotFoundMessage(bucket: string, namespace: string): string {
  return `Either the bucket named '${bucket}' does not exist in the namespace '${namespace}' or you are not authorized to access it`;
}

function toView(v: ObjectVersion): ObjectVersionView {
  return {
    bucket: v.bucket,
    name: v.name,
    versionId: v.versionId,
    isDeleteMarker: v.isDeleteMarker,
    wrapping: copyWrapping(v.wrapping),
    reencryptCount: v.reencryptCount,
    history: v.history.map(copyWrapping),
    storageTier: v.storageTier,
    ...(v.storageTier === "Archive" ? { archivalState: archivalStateOf(v) as ArchivalState } : {}),
  };
}

