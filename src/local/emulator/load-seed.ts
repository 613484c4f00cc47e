import { randomBytes } from "node:crypto";
import { z } from "zod";
import type { EmulatorState } from "./emulator-state.js";
import type { Key } from "./model.js";
import { randomOcid } from "./random-ids.js";

/*
 * A Seed describes a world in JSON. Everything is named locally and referred to by that name;
 * `loadSeed` creates it and returns the OCIDs by name. A compartment reference is a name from
 * `compartments`, a literal OCID, or omitted (the emulator's default compartment).
 *
 * {
 *   "namespace": "demo",                        // read by startEmulator (options.namespace wins)
 *   "compartments": ["apps", "security"],
 *   "vaults": [{ "name": "main", "compartment": "security",
 *                "keys": [{ "name": "data-key", "versions": 3 }, { "name": "old-key", "state": "DISABLED" }] }],
 *   "secrets": [{ "name": "customer-key", "randomSseCKey": true },
 *               { "name": "note", "content": "aGVsbG8=", "encoding": "base64" }],
 *   "buckets": [{ "name": "data", "compartment": "apps", "kmsKey": "data-key", "versioning": "Enabled",
 *                 "objectEventsEnabled": true,
 *                 "objects": [
 *                   { "name": "dir/a b+c.txt", "content": "hello", "keyVersion": 1 },  // under the key's 1st version
 *                   { "name": "private.bin", "sseCustomerKey": { "secret": "customer-key" } },
 *                   { "name": "gone.txt", "deleted": true },                            // then a delete marker
 *                   { "prefix": "logs/", "count": 250, "versions": 2 }                  // logs/000000 .. logs/000249
 *                 ] }],
 *   "functions": [{ "name": "reencrypt", "compartment": "apps", "timeoutInSeconds": 120 }],
 *   "rules": [{ "name": "on-create", "compartment": "apps", "function": "reencrypt",
 *               "condition": { "eventType": ["com.oraclecloud.objectstorage.createobject"] } }]
 * }
 */

const CompartmentRefSchema = z.string().min(1);

const SseCKeyRefSchema = z.union([
  z.string().min(1).describe("base64 of 32 bytes"),
  z.object({ secret: z.string().min(1) }).strict(),
]);

const ObjectWrapSchema = {
  /** A seed key name: wrap with it instead of the bucket's key. */
  kmsKey: z.string().min(1).optional(),
  /** 1-based index of the key version to wrap with (default: the current one). */
  keyVersion: z.number().int().min(1).optional(),
  sseCustomerKey: SseCKeyRefSchema.optional(),
  /** Versions to write (a versioned bucket keeps them all). Default 1. */
  versions: z.number().int().min(1).max(1000).optional(),
};

export const SeedObjectSchema = z
  .object({
    name: z.string().min(1),
    content: z.string().optional(),
    /** After writing, delete it (a delete marker in a versioned bucket). */
    deleted: z.boolean().optional(),
    ...ObjectWrapSchema,
  })
  .strict();

export const SeedObjectBatchSchema = z
  .object({
    prefix: z.string(),
    count: z.number().int().min(1).max(1_000_000),
    /** Bytes of content per object (default 16). */
    size: z.number().int().min(0).max(1024 * 1024).optional(),
    ...ObjectWrapSchema,
  })
  .strict();

export const SeedSchema = z
  .object({
    namespace: z.string().min(1).optional(),
    tenancyId: z.string().startsWith("ocid1.tenancy.").optional(),
    compartments: z.array(z.string().min(1)).optional(),
    vaults: z
      .array(
        z
          .object({
            name: z.string().min(1),
            compartment: CompartmentRefSchema.optional(),
            keys: z
              .array(
                z
                  .object({
                    name: z.string().min(1),
                    compartment: CompartmentRefSchema.optional(),
                    versions: z.number().int().min(1).max(100).optional(),
                    state: z.enum(["ENABLED", "DISABLED"]).optional(),
                    autoRotation: z.boolean().optional(),
                  })
                  .strict(),
              )
              .optional(),
          })
          .strict(),
      )
      .optional(),
    secrets: z
      .array(
        z
          .object({
            name: z.string().min(1),
            compartment: CompartmentRefSchema.optional(),
            content: z.string().optional(),
            encoding: z.enum(["utf8", "base64"]).optional(),
            /** Content = 32 random bytes: a ready SSE-C key. */
            randomSseCKey: z.boolean().optional(),
          })
          .strict(),
      )
      .optional(),
    buckets: z
      .array(
        z
          .object({
            name: z.string().min(1),
            compartment: CompartmentRefSchema.optional(),
            kmsKey: z.string().min(1).optional(),
            versioning: z.enum(["Enabled", "Disabled", "Suspended"]).optional(),
            objectEventsEnabled: z.boolean().optional(),
            objects: z.array(z.union([SeedObjectSchema, SeedObjectBatchSchema])).optional(),
          })
          .strict(),
      )
      .optional(),
    functions: z
      .array(
        z
          .object({
            name: z.string().min(1),
            compartment: CompartmentRefSchema.optional(),
            timeoutInSeconds: z.number().int().min(5).max(300).optional(),
            config: z.record(z.string(), z.string()).optional(),
          })
          .strict(),
      )
      .optional(),
    rules: z
      .array(
        z
          .object({
            name: z.string().min(1),
            compartment: CompartmentRefSchema.optional(),
            condition: z.union([z.string(), z.record(z.string(), z.unknown())]),
            /** A seed function name or a function OCID. */
            function: z.string().min(1),
            isEnabled: z.boolean().optional(),
            actionEnabled: z.boolean().optional(),
          })
          .strict(),
      )
      .optional(),
  })
  .strict();

export type Seed = z.input<typeof SeedSchema>;
export type SeedObject = z.infer<typeof SeedObjectSchema>;
export type SeedObjectBatch = z.infer<typeof SeedObjectBatchSchema>;

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
  functions: Record<string, string>;
  rules: Record<string, string>;
}

/** Creates everything a seed describes in `state`; throws on an unknown name or an invalid seed. */
export const emptySeedIds = (): SeedIds => ({
  compartments: {},
  vaults: {},
  keys: {},
  keyVersions: {},
  secrets: {},
  sseCKeys: {},
  buckets: {},
  functions: {},
  rules: {},
});

export function loadSeed(state: EmulatorState, input: Seed): SeedIds {
  const seed = SeedSchema.parse(input);
  const ids = emptySeedIds();
  const compartment = (ref: string | undefined): string => {
    if (ref === undefined) return state.defaultCompartmentId;
    if (ref.startsWith("ocid1.")) return ref;
    const id = ids.compartments[ref];
    if (!id) throw new Error(`seed: unknown compartment '${ref}'`);
    return id;
  };
  const keyNamed = (name: string): Key => {
    const id = ids.keys[name];
    const key = id === undefined ? undefined : state.key(id);
    if (!key) throw new Error(`seed: unknown key '${name}'`);
    return key;
  };

  for (const name of seed.compartments ?? []) {
    ids.compartments[name] = randomOcid("compartment");
  }

  for (const v of seed.vaults ?? []) {
    const vault = state.createVault({ compartmentId: compartment(v.compartment), displayName: v.name });
    ids.vaults[v.name] = vault.id;
    for (const k of v.keys ?? []) {
      const key = state.createKey({
        vaultId: vault.id,
        compartmentId: k.compartment === undefined ? vault.compartmentId : compartment(k.compartment),
        displayName: k.name,
        isAutoRotationEnabled: k.autoRotation,
      });
      for (let i = 1; i < (k.versions ?? 1); i++) state.rotateKey(key.id);
      ids.keys[k.name] = key.id;
      ids.keyVersions[k.name] = key.versions.map((kv) => kv.id);
      // Disabled last, so a disabled key can still have several versions.
      if (k.state === "DISABLED") state.setKeyState(key.id, "DISABLED");
    }
  }

  for (const s of seed.secrets ?? []) {
    const content = s.randomSseCKey
      ? randomBytes(32)
      : Buffer.from(s.content ?? "", s.encoding === "base64" ? "base64" : "utf8");
    ids.secrets[s.name] = state.createSecret({ compartmentId: compartment(s.compartment), content });
    const key = sseCKeyFromSecret(content);
    if (key !== undefined) ids.sseCKeys[s.name] = key;
  }

  const sseCKey = (ref: z.infer<typeof SseCKeyRefSchema> | undefined): string | undefined => {
    if (ref === undefined || typeof ref === "string") return ref;
    const key = ids.sseCKeys[ref.secret];
    if (key === undefined) throw new Error(`seed: secret '${ref.secret}' is unknown or does not hold a 32-byte key`);
    return key;
  };

  for (const b of seed.buckets ?? []) {
    const bucket = state.createBucket({
      name: b.name,
      compartmentId: compartment(b.compartment),
      kmsKeyId: b.kmsKey === undefined ? undefined : keyNamed(b.kmsKey).id,
      versioning: b.versioning,
      objectEventsEnabled: b.objectEventsEnabled,
    });
    ids.buckets[b.name] = bucket.id;
    for (const o of b.objects ?? []) {
      const kmsKey = o.kmsKey === undefined ? undefined : keyNamed(o.kmsKey);
      const keyForVersion = kmsKey ?? (bucket.kmsKeyId === undefined ? undefined : state.key(bucket.kmsKeyId));
      let keyVersionId: string | undefined;
      if (o.keyVersion !== undefined) {
        keyVersionId = keyForVersion?.versions[o.keyVersion - 1]?.id;
        if (keyVersionId === undefined) throw new Error(`seed: bucket '${b.name}': no key version ${o.keyVersion} to wrap with`);
      }
      const write = {
        sseCustomerKey: sseCKey(o.sseCustomerKey),
        kmsKeyId: kmsKey?.id,
        keyVersionId,
      };
      if ("count" in o) {
        const width = Math.max(6, String(o.count - 1).length);
        const content = Buffer.alloc(o.size ?? 16, 0x61);
        for (let i = 0; i < o.count; i++) {
          const name = `${o.prefix}${String(i).padStart(width, "0")}`;
          for (let n = 0; n < (o.versions ?? 1); n++) state.putObject(b.name, name, { ...write, content });
        }
      } else {
        for (let n = 0; n < (o.versions ?? 1); n++) {
          state.putObject(b.name, o.name, { ...write, content: o.content ?? `${o.name} v${n + 1}` });
        }
        if (o.deleted) state.deleteObject(b.name, o.name);
      }
    }
  }

  for (const f of seed.functions ?? []) {
    const fn = state.createFunction({
      compartmentId: compartment(f.compartment),
      displayName: f.name,
      timeoutInSeconds: f.timeoutInSeconds,
      config: f.config,
    });
    ids.functions[f.name] = fn.id;
  }

  for (const r of seed.rules ?? []) {
    const functionId = r.function.startsWith("ocid1.") ? r.function : ids.functions[r.function];
    if (functionId === undefined) throw new Error(`seed: rule '${r.name}': unknown function '${r.function}'`);
    const rule = state.createRule({
      compartmentId: compartment(r.compartment),
      displayName: r.name,
      isEnabled: r.isEnabled ?? true,
      condition: typeof r.condition === "string" ? r.condition : JSON.stringify(r.condition),
      actions: [{ actionType: "FAAS", functionId, isEnabled: r.actionEnabled ?? true }],
    });
    ids.rules[r.name] = rule.id;
  }
  return ids;
}

/** The base64 SSE-C key a secret holds: 32 raw bytes, or the base64 text of 32 bytes (both accepted by the product). */
function sseCKeyFromSecret(content: Buffer): string | undefined {
  if (content.length === 32) return content.toString("base64");
  const text = content.toString("utf8").trim();
  if (/^[A-Za-z0-9+/]{43}=$/.test(text) && Buffer.from(text, "base64").length === 32) return text;
  return undefined;
}
