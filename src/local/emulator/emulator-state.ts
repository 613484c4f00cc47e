import { createHash } from "node:crypto";
import { invalidParameter, notFound } from "./api-error.js";
import { compareNames } from "./compare-names.js";
import { FunctionInvokers } from "./function-invokers.js";
import type {
  Application,
  Bucket,
  FunctionRecord,
  Key,
  KeyState,
  KeyVersion,
  ObjectVersion,
  ObjectVersionView,
  Rule,
  RuleAction,
  Secret,
  Vault,
  Versioning,
  Wrapping,
} from "./model.js";
import { randomAlnum, randomEtag, randomOcid, randomVersionId } from "./random-ids.js";
import { sseCKeyProblem, sseCKeySha256 } from "./sse-c.js";
import { WorkRequests, type OtherKeyPolicy } from "./work-requests.js";

export interface EmulatorStateOptions {
  /** Base URL of the emulator's server; vault and function endpoints are built from it. */
  baseUrl: string;
  namespace?: string | undefined;
  tenancyId?: string | undefined;
}

export interface PutObjectOptions {
  content?: string | Buffer | undefined;
  /** base64 of 32 bytes: the version is SSE-C. */
  sseCustomerKey?: string | undefined;
  /** Wrap with this Vault key instead of the bucket's. */
  kmsKeyId?: string | undefined;
  /** Wrap with this (possibly old) version of the key rather than its current one: for stale-object fixtures. */
  keyVersionId?: string | undefined;
  contentType?: string | undefined;
}

export interface RuleActionInput {
  actionType: "FAAS";
  functionId: string;
  isEnabled: boolean;
  description?: string | undefined;
}

export interface RuleInput {
  compartmentId: string;
  displayName: string;
  isEnabled: boolean;
  condition: string;
  actions: RuleActionInput[];
  description?: string | undefined;
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
export class EmulatorState {
  readonly namespace: string;
  readonly tenancyId: string;
  readonly baseUrl: string;
  /** Used wherever a compartment is optional. */
  readonly defaultCompartmentId: string;

  readonly vaults = new Map<string, Vault>();
  readonly keys = new Map<string, Key>();
  /** By bucket name: one namespace per emulator. */
  readonly buckets = new Map<string, Bucket>();
  readonly secrets = new Map<string, Secret>();
  readonly applications = new Map<string, Application>();
  readonly functionRecords = new Map<string, FunctionRecord>();
  readonly rules = new Map<string, Rule>();
  /** Where function invocations are delivered. */
  readonly functions = new FunctionInvokers();
  /** ReencryptBucket work requests (`workRequests.records`, `await workRequests.idle()`). */
  readonly workRequests: WorkRequests = new WorkRequests(this);

  // bucket → object name → versions, newest first
  private readonly objects = new Map<string, Map<string, ObjectVersion[]>>();
  // Sorted names per bucket, rebuilt lazily: listing a large bucket page by page must not sort each time.
  private readonly sortedNameCache = new Map<string, string[]>();
  private seq = 0;

  constructor(options: EmulatorStateOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.namespace = options.namespace ?? "testns";
    this.tenancyId = options.tenancyId ?? randomOcid("tenancy");
    this.defaultCompartmentId = randomOcid("compartment");
  }

  // ---- Vault / KMS ----

  createVault(o: { compartmentId?: string | undefined; displayName?: string | undefined }): Vault {
    const id = randomOcid("vault");
    const shortId = randomAlnum(12);
    const vault: Vault = {
      id,
      compartmentId: o.compartmentId ?? this.defaultCompartmentId,
      displayName: o.displayName ?? `vault-${shortId.slice(0, 6)}`,
      shortId,
      managementEndpoint: `${this.baseUrl}/kms/${shortId}-management`,
      cryptoEndpoint: `${this.baseUrl}/kms/${shortId}-crypto`,
      lifecycleState: "ACTIVE",
      vaultType: "DEFAULT",
      wrappingkeyId: randomOcid("key"),
      timeCreated: now(),
    };
    this.vaults.set(id, vault);
    return vault;
  }

  /** The vault whose management endpoint path segment is `segment` (`<shortId>-management`). */
  vaultByManagementSegment(segment: string): Vault | undefined {
    for (const v of this.vaults.values()) if (`${v.shortId}-management` === segment) return v;
    return undefined;
  }

  createKey(o: {
    vaultId: string;
    compartmentId?: string | undefined;
    displayName?: string | undefined;
    lifecycleState?: KeyState | undefined;
    isAutoRotationEnabled?: boolean | undefined;
  }): Key {
    const vault = this.vaults.get(o.vaultId);
    if (!vault) throw new Error(`createKey: unknown vault ${o.vaultId}`);
    const id = randomOcid("key");
    const compartmentId = o.compartmentId ?? vault.compartmentId;
    const first = this.newKeyVersion(id, vault.id, compartmentId, false);
    const key: Key = {
      id,
      vaultId: vault.id,
      compartmentId,
      displayName: o.displayName ?? `key-${id.slice(-6)}`,
      lifecycleState: o.lifecycleState ?? "ENABLED",
      currentKeyVersion: first.id,
      versions: [first],
      isAutoRotationEnabled: o.isAutoRotationEnabled ?? false,
      timeCreated: first.timeCreated,
    };
    this.keys.set(id, key);
    return key;
  }

  private newKeyVersion(keyId: string, vaultId: string, compartmentId: string, isAutoRotated: boolean): KeyVersion {
    return {
      id: randomOcid("keyversion"),
      keyId,
      vaultId,
      compartmentId,
      lifecycleState: "ENABLED",
      origin: "INTERNAL",
      isAutoRotated,
      timeCreated: now(),
    };
  }

  key(keyId: string): Key | undefined {
    return this.keys.get(keyId);
  }

  private requireKey(keyId: string): Key {
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`unknown key ${keyId}`);
    return key;
  }

  /**
   * A new key version that becomes current (CreateKeyVersion, or an auto rotation). With `fail`,
   * records a failed auto rotation instead and returns the unchanged current version.
   */
  rotateKey(keyId: string, opts: { autoRotation?: boolean | undefined; fail?: boolean | undefined } = {}): KeyVersion {
    const key = this.requireKey(keyId);
    const at = now();
    if (opts.fail) {
      key.autoKeyRotationDetails = {
        ...key.autoKeyRotationDetails,
        timeOfLastRotation: at,
        lastRotationStatus: "FAILED",
        lastRotationMessage: "Automatic key rotation failed (emulated)",
      };
      return key.versions[key.versions.length - 1] as KeyVersion;
    }
    const version = this.newKeyVersion(key.id, key.vaultId, key.compartmentId, opts.autoRotation ?? false);
    key.versions.push(version);
    key.currentKeyVersion = version.id;
    if (opts.autoRotation) {
      key.autoKeyRotationDetails = {
        ...key.autoKeyRotationDetails,
        timeOfLastRotation: at,
        lastRotationStatus: "SUCCESS",
        lastRotationMessage: "Automatic key rotation succeeded (emulated)",
      };
    }
    return version;
  }

  setKeyState(keyId: string, state: KeyState): void {
    this.requireKey(keyId).lifecycleState = state;
  }

  // ---- Buckets and objects ----

  createBucket(o: {
    name: string;
    compartmentId?: string | undefined;
    kmsKeyId?: string | undefined;
    versioning?: Versioning | undefined;
    objectEventsEnabled?: boolean | undefined;
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
      etag: randomEtag(),
      createdBy: randomOcid("user"),
      timeCreated: now(),
    };
    this.buckets.set(o.name, bucket);
    this.objects.set(o.name, new Map());
    return bucket;
  }

  /** Change a bucket as UpdateBucket would; `kmsKeyId: null` removes the bucket's key. */
  updateBucket(
    name: string,
    patch: { kmsKeyId?: string | null; versioning?: Versioning; objectEventsEnabled?: boolean },
  ): Bucket {
    const bucket = this.requireBucket(name);
    if (patch.kmsKeyId === null) delete bucket.kmsKeyId;
    else if (patch.kmsKeyId !== undefined) {
      if (!this.keys.has(patch.kmsKeyId)) throw new Error(`updateBucket: unknown key ${patch.kmsKeyId}`);
      bucket.kmsKeyId = patch.kmsKeyId;
    }
    if (patch.versioning !== undefined) bucket.versioning = patch.versioning;
    if (patch.objectEventsEnabled !== undefined) bucket.objectEventsEnabled = patch.objectEventsEnabled;
    bucket.etag = randomEtag();
    return bucket;
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

  /**
   * A key Object Storage may wrap with. Emulator choice: an unknown or disabled key is a
   * 400 InvalidParameter (real OCI's exact answer is unconfirmed).
   */
  usableKey(kmsKeyId: string): Key {
    const key = this.keys.get(kmsKeyId);
    if (!key) throw invalidParameter(`The master encryption key '${kmsKeyId}' does not exist or you are not authorized to use it`);
    if (key.lifecycleState !== "ENABLED") {
      throw invalidParameter(`The master encryption key '${kmsKeyId}' is ${key.lifecycleState} and cannot be used`);
    }
    return key;
  }

  putObject(bucketName: string, name: string, o: PutObjectOptions = {}): { versionId: string; etag: string } {
    const bucket = this.requireBucket(bucketName);
    const wrapping = this.resolveWriteWrapping(bucketName, o);
    const content = typeof o.content === "string" ? Buffer.from(o.content, "utf8") : (o.content ?? Buffer.alloc(0));
    const at = now();
    const version: ObjectVersion = {
      bucket: bucketName,
      name,
      versionId: randomVersionId(),
      seq: ++this.seq,
      isDeleteMarker: false,
      content,
      contentType: o.contentType ?? "application/octet-stream",
      etag: randomEtag(),
      md5: createHash("md5").update(content).digest("base64"),
      timeCreated: at,
      timeModified: at,
      wrapping,
      reencryptCount: 0,
      history: [],
    };
    this.insertVersion(bucket, version);
    return { versionId: version.versionId, etag: version.etag };
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
      };
      if (bucket.versioning === "Enabled") versions.unshift(marker);
      else versions.splice(0, 1, marker);
    }
    if (versions.length === 0) {
      map.delete(name);
      this.sortedNameCache.delete(bucketName);
    }
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

  // ---- Secrets ----

  /** Stores raw bytes (a string is taken as UTF-8); GetSecretBundle returns them base64-encoded. */
  createSecret(o: { compartmentId?: string | undefined; content: Buffer | string }): string {
    const id = randomOcid("vaultsecret");
    this.secrets.set(id, {
      id,
      compartmentId: o.compartmentId ?? this.defaultCompartmentId,
      content: typeof o.content === "string" ? Buffer.from(o.content, "utf8") : Buffer.from(o.content),
      versionNumber: 1,
      timeCreated: now(),
    });
    return id;
  }

  // ---- Functions ----

  createApplication(o: { compartmentId?: string | undefined; displayName?: string | undefined }): Application {
    const app: Application = {
      id: randomOcid("fnapp"),
      compartmentId: o.compartmentId ?? this.defaultCompartmentId,
      displayName: o.displayName ?? `app-${randomAlnum(6)}`,
      lifecycleState: "ACTIVE",
      timeCreated: now(),
    };
    this.applications.set(app.id, app);
    return app;
  }

  createFunction(o: {
    applicationId?: string | undefined;
    compartmentId: string;
    displayName: string;
    timeoutInSeconds?: number | undefined;
    detachedModeTimeoutInSeconds?: number | undefined;
    memoryInMBs?: number | undefined;
    config?: Record<string, string> | undefined;
  }): FunctionRecord {
    const applicationId = o.applicationId ?? this.createApplication({ compartmentId: o.compartmentId }).id;
    if (!this.applications.has(applicationId)) throw new Error(`createFunction: unknown application ${applicationId}`);
    const timeoutInSeconds = o.timeoutInSeconds ?? 30;
    const fn: FunctionRecord = {
      id: randomOcid("fnfunc"),
      applicationId,
      compartmentId: o.compartmentId,
      displayName: o.displayName,
      // FunctionsInvokeClient appends /20181201 itself, so the invoke endpoint is the bare server URL.
      invokeEndpoint: this.baseUrl,
      lifecycleState: "ACTIVE",
      memoryInMBs: o.memoryInMBs ?? 256,
      timeoutInSeconds,
      detachedModeTimeoutInSeconds: o.detachedModeTimeoutInSeconds ?? timeoutInSeconds,
      config: { ...o.config },
      image: `iad.ocir.io/${this.namespace}/${o.displayName}:0.0.1`,
      timeCreated: now(),
    };
    this.functionRecords.set(fn.id, fn);
    return fn;
  }

  // ---- Events ----

  createRule(o: RuleInput): Rule {
    const rule: Rule = {
      id: randomOcid("eventrule"),
      compartmentId: o.compartmentId,
      displayName: o.displayName,
      ...(o.description !== undefined ? { description: o.description } : {}),
      isEnabled: o.isEnabled,
      condition: o.condition,
      lifecycleState: "ACTIVE",
      actions: o.actions.map(toRuleAction),
      timeCreated: now(),
    };
    this.rules.set(rule.id, rule);
    return rule;
  }

  updateRule(
    id: string,
    patch: Partial<Pick<RuleInput, "displayName" | "isEnabled" | "condition" | "description" | "actions">>,
  ): Rule {
    const rule = this.rules.get(id);
    if (!rule) throw new Error(`updateRule: unknown rule ${id}`);
    if (patch.displayName !== undefined) rule.displayName = patch.displayName;
    if (patch.isEnabled !== undefined) rule.isEnabled = patch.isEnabled;
    if (patch.condition !== undefined) rule.condition = patch.condition;
    if (patch.description !== undefined) rule.description = patch.description;
    if (patch.actions !== undefined) rule.actions = patch.actions.map(toRuleAction);
    return rule;
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
  };
}

function toRuleAction(a: RuleActionInput): RuleAction {
  return {
    id: randomOcid("eventaction"),
    actionType: a.actionType,
    functionId: a.functionId,
    isEnabled: a.isEnabled,
    lifecycleState: "ACTIVE",
    ...(a.description !== undefined ? { description: a.description } : {}),
  };
}

