import { randomBytes } from "node:crypto";
import type { EmulatorState, PutObjectOptions } from "./emulator-state.js";
import type { Bucket, Key } from "./model.js";
import { randomOcid } from "./random-ids.js";
import { SeedSchema, type ParsedSeed, type Seed, type SeedObject, type SeedObjectBatch, type SseCKeyRef } from "./seed-schema.js";

// The Seed format (with an example) is documented at the top of seed-schema.ts.
export { SeedObjectBatchSchema, SeedObjectSchema, SeedSchema } from "./seed-schema.js";
export type { Seed, SeedObject, SeedObjectBatch } from "./seed-schema.js";

/** The OCIDs `loadSeed` created, by seed name. */
export interface SeedIds {
  compartments: Record<string, string>;
  vaults: Record<string, string>;
  keys: Record<string, string>;
  /** Per key name, its version OCIDs oldest first (the last is current). */
  keyVersions: Record<string, string[]>;
  secrets: Record<string, string>;
  /** Per secret name that holds a usable key: the base64 SSE-C key, for tests that pass it inline. */
  sseCKeys: Record<string, string>;
  buckets: Record<string, string>;
  /** Per bucket name, its retention rule ids in seed order. */
  retentionRules: Record<string, string[]>;
  functions: Record<string, string>;
  rules: Record<string, string>;
}

export const emptySeedIds = (): SeedIds => ({
  compartments: {},
  vaults: {},
  keys: {},
  keyVersions: {},
  secrets: {},
  sseCKeys: {},
  buckets: {},
  retentionRules: {},
  functions: {},
  rules: {},
});

/** What every step needs: the state, the ids so far, and name resolution. */
class SeedContext {
  readonly ids = emptySeedIds();
  constructor(readonly state: EmulatorState) {}

  compartment(ref: string | undefined): string {
    if (ref === undefined) return this.state.defaultCompartmentId;
    if (ref.startsWith("ocid1.")) return ref;
    const id = this.ids.compartments[ref];
    if (!id) throw new Error(`seed: unknown compartment '${ref}'`);
    return id;
  }

  keyNamed(name: string): Key {
    const id = this.ids.keys[name];
    const key = id === undefined ? undefined : this.state.key(id);
    if (!key) throw new Error(`seed: unknown key '${name}'`);
    return key;
  }

  sseCKey(ref: SseCKeyRef | undefined): string | undefined {
    if (ref === undefined || typeof ref === "string") return ref;
    const key = this.ids.sseCKeys[ref.secret];
    if (key === undefined) throw new Error(`seed: secret '${ref.secret}' is unknown or does not hold a 32-byte key`);
    return key;
  }
}

/** Creates everything a seed describes in `state`; throws on an unknown name or an invalid seed. */
export function loadSeed(state: EmulatorState, input: Seed): SeedIds {
  const seed = SeedSchema.parse(input);
  const ctx = new SeedContext(state);
  for (const name of seed.compartments ?? []) ctx.ids.compartments[name] = randomOcid("compartment");
  seedVaults(ctx, seed);
  seedSecrets(ctx, seed);
  for (const b of seed.buckets ?? []) seedBucket(ctx, b);
  // After every object is written: a key disabled or pending deletion could not have wrapped them.
  seedKeyLifecycle(ctx, seed);
  seedRetentionRules(ctx, seed);
  for (const r of seed.replication ?? []) state.setReplication(r.source, r.destination, { copyExisting: r.copyExisting });
  seedFunctionsAndRules(ctx, seed);
  return ctx.ids;
}

function seedVaults(ctx: SeedContext, seed: ParsedSeed): void {
  for (const v of seed.vaults ?? []) {
    const vault = ctx.state.createVault({ compartmentId: ctx.compartment(v.compartment), displayName: v.name });
    ctx.ids.vaults[v.name] = vault.id;
    for (const k of v.keys ?? []) {
      const key = ctx.state.createKey({
        vaultId: vault.id,
        compartmentId: k.compartment === undefined ? vault.compartmentId : ctx.compartment(k.compartment),
        displayName: k.name,
        isAutoRotationEnabled: k.autoRotation,
      });
      for (let i = 1; i < (k.versions ?? 1); i++) ctx.state.rotateKey(key.id);
      ctx.ids.keys[k.name] = key.id;
      ctx.ids.keyVersions[k.name] = key.versions.map((kv) => kv.id);
    }
  }
}

function seedSecrets(ctx: SeedContext, seed: ParsedSeed): void {
  for (const s of seed.secrets ?? []) {
    const content = s.randomSseCKey ? randomBytes(32) : Buffer.from(s.content ?? "", s.encoding === "base64" ? "base64" : "utf8");
    ctx.ids.secrets[s.name] = ctx.state.createSecret({ compartmentId: ctx.compartment(s.compartment), content });
    const key = sseCKeyFromSecret(content);
    if (key !== undefined) ctx.ids.sseCKeys[s.name] = key;
  }
}

type SeedBucket = NonNullable<ParsedSeed["buckets"]>[number];

function seedBucket(ctx: SeedContext, b: SeedBucket): void {
  const bucket = ctx.state.createBucket({
    name: b.name,
    compartmentId: ctx.compartment(b.compartment),
    kmsKeyId: b.kmsKey === undefined ? undefined : ctx.keyNamed(b.kmsKey).id,
    versioning: b.versioning,
    objectEventsEnabled: b.objectEventsEnabled,
    storageTier: b.storageTier,
    isBucketKeyEnabled: b.isBucketKeyEnabled,
  });
  ctx.ids.buckets[b.name] = bucket.id;
  for (const o of b.objects ?? []) seedObjects(ctx, bucket, o);
}

function seedObjects(ctx: SeedContext, bucket: Bucket, o: SeedObject | SeedObjectBatch): void {
  const { state } = ctx;
  const kmsKey = o.kmsKey === undefined ? undefined : ctx.keyNamed(o.kmsKey);
  const keyForVersion = kmsKey ?? (bucket.kmsKeyId === undefined ? undefined : state.key(bucket.kmsKeyId));
  let keyVersionId: string | undefined;
  if (o.keyVersion !== undefined) {
    keyVersionId = keyForVersion?.versions[o.keyVersion - 1]?.id;
    if (keyVersionId === undefined) throw new Error(`seed: bucket '${bucket.name}': no key version ${o.keyVersion} to wrap with`);
  }
  const write: PutObjectOptions = {
    sseCustomerKey: ctx.sseCKey(o.sseCustomerKey),
    kmsKeyId: kmsKey?.id,
    keyVersionId,
    storageTier: o.storageTier,
    archivalState: o.archivalState,
  };
  const put = (name: string, content: Buffer | string): void => {
    const { versionId } = state.putObject(bucket.name, name, { ...write, content });
    if (o.lastModified !== undefined) state.setLastModified(bucket.name, name, o.lastModified, versionId);
  };
  if ("count" in o) {
    const width = Math.max(6, String(o.count - 1).length);
    const content = Buffer.alloc(o.size ?? 16, 0x61);
    for (let i = 0; i < o.count; i++) {
      const name = `${o.prefix}${String(i).padStart(width, "0")}`;
      for (let n = 0; n < (o.versions ?? 1); n++) put(name, content);
    }
    return;
  }
  for (let n = 0; n < (o.versions ?? 1); n++) put(o.name, o.content ?? `${o.name} v${n + 1}`);
  if (o.deleted) state.deleteObject(bucket.name, o.name);
}

function seedKeyLifecycle(ctx: SeedContext, seed: ParsedSeed): void {
  for (const k of (seed.vaults ?? []).flatMap((v) => v.keys ?? [])) {
    const key = ctx.keyNamed(k.name);
    for (const index of k.pendingDeletionVersions ?? []) {
      const version = key.versions[index - 1];
      if (!version) throw new Error(`seed: key '${k.name}' has no version ${index}`);
      ctx.state.scheduleKeyVersionDeletion(key.id, version.id);
    }
    if (k.state === "DISABLED") ctx.state.disableKey(key.id);
    if (k.state === "PENDING_DELETION") ctx.state.scheduleKeyDeletion(key.id, { timeOfDeletion: k.timeOfDeletion });
  }
}

function seedRetentionRules(ctx: SeedContext, seed: ParsedSeed): void {
  for (const b of seed.buckets ?? []) {
    for (const r of b.retentionRules ?? []) {
      // Not validated as the API would: a seed may hold a rule locked long ago.
      const rule = ctx.state.createRetentionRule(b.name, { displayName: r.name, duration: r.duration, timeRuleLocked: r.timeRuleLocked }, { validate: false });
      (ctx.ids.retentionRules[b.name] ??= []).push(rule.id);
    }
  }
}

function seedFunctionsAndRules(ctx: SeedContext, seed: ParsedSeed): void {
  for (const f of seed.functions ?? []) {
    const fn = ctx.state.createFunction({
      compartmentId: ctx.compartment(f.compartment),
      displayName: f.name,
      timeoutInSeconds: f.timeoutInSeconds,
      config: f.config,
    });
    ctx.ids.functions[f.name] = fn.id;
  }
  for (const r of seed.rules ?? []) {
    const functionId = r.function.startsWith("ocid1.") ? r.function : ctx.ids.functions[r.function];
    if (functionId === undefined) throw new Error(`seed: rule '${r.name}': unknown function '${r.function}'`);
    const rule = ctx.state.createRule({
      compartmentId: ctx.compartment(r.compartment),
      displayName: r.name,
      isEnabled: r.isEnabled ?? true,
      condition: typeof r.condition === "string" ? r.condition : JSON.stringify(r.condition),
      actions: [{ actionType: "FAAS", functionId, isEnabled: r.actionEnabled ?? true }],
    });
    ctx.ids.rules[r.name] = rule.id;
  }
}

/** The base64 SSE-C key a secret holds: 32 raw bytes, or the base64 text of 32 bytes (both accepted by the product). */
function sseCKeyFromSecret(content: Buffer): string | undefined {
  if (content.length === 32) return content.toString("base64");
  const text = content.toString("utf8").trim();
  if (/^[A-Za-z0-9+/]{43}=$/.test(text) && Buffer.from(text, "base64").length === 32) return text;
  return undefined;
}
