import { z } from "zod";

/*
 * A Seed describes a world in JSON. Everything is named locally and referred to by that name;
 * `loadSeed` creates it and returns the OCIDs by name. A compartment reference is a name from
 * `compartments`, a literal OCID, or omitted (the emulator's default compartment).
 *
 * {
 *   "namespace": "demo",                        // read by startEmulator (options.namespace wins)
 *   "compartments": ["apps", "security"],
 *   "vaults": [{ "name": "main", "compartment": "security",
 *                "keys": [{ "name": "data-key", "versions": 3, "pendingDeletionVersions": [1] },
 *                         { "name": "old-key", "state": "DISABLED" },
 *                         { "name": "doomed", "state": "PENDING_DELETION", "timeOfDeletion": "2031-01-01T00:00:00Z" }] }],
 *   "secrets": [{ "name": "customer-key", "randomSseCKey": true },
 *               { "name": "note", "content": "aGVsbG8=", "encoding": "base64" }],
 *   "buckets": [{ "name": "data", "compartment": "apps", "kmsKey": "data-key", "versioning": "Enabled",
 *                 "objectEventsEnabled": true,
 *                 "objects": [
 *                   { "name": "dir/a b+c.txt", "content": "hello", "keyVersion": 1 },  // under the key's 1st version
 *                   { "name": "private.bin", "sseCustomerKey": { "secret": "customer-key" } },
 *                   { "name": "gone.txt", "deleted": true },                            // then a delete marker
 *                   { "prefix": "logs/", "count": 250, "versions": 2 },                 // logs/000000 .. logs/000249
 *                   { "name": "cold.bin", "storageTier": "Archive", "archivalState": "Restored" },
 *                   { "name": "old.txt", "lastModified": "2020-01-01T00:00:00Z" }       // retention counts from it
 *                 ],
 *                 "retentionRules": [{ "name": "hold" }, { "duration": { "timeAmount": 30, "timeUnit": "DAYS" } }] },
 *               { "name": "replica", "kmsKey": "data-key" },
 *               { "name": "vault-of-old", "storageTier": "Archive", "isBucketKeyEnabled": true }],
 *   "replication": [{ "source": "data", "destination": "replica" }],          // replica: isReadOnly
 *   "functions": [{ "name": "reencrypt", "compartment": "apps", "timeoutInSeconds": 120 }],
 *   "rules": [{ "name": "on-create", "compartment": "apps", "function": "reencrypt",
 *               "condition": { "eventType": ["com.oraclecloud.objectstorage.createobject"] } }]
 * }
 *
 * Key states, pending key version deletions, retention rules and replication are applied after
 * every object is written, so a seed can hold objects under a key it then disables, and objects
 * already in a replication source are not copied (as OCI) unless the pair says `copyExisting`.
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
  /** Default Standard (Archive in an Archive bucket). */
  storageTier: z.enum(["Standard", "InfrequentAccess", "Archive"]).optional(),
  /** Archive tier only; default Archived. Restoring lasts until `state.setArchivalState` changes it. */
  archivalState: z.enum(["Archived", "Restoring", "Restored"]).optional(),
  /** RFC 3339: the versions' Last-Modified (retention rules count from it). Default: when written. */
  lastModified: z.iso.datetime({ offset: true }).optional(),
};

const RetentionRuleSeedSchema = z
  .object({
    name: z.string().min(1).optional(),
    /** Absent: an indefinite rule. */
    duration: z.object({ timeAmount: z.number().int().min(1), timeUnit: z.enum(["DAYS", "YEARS"]) }).strict().optional(),
    /** RFC 3339; any time (a lock in the past makes the rule locked now). */
    timeRuleLocked: z.iso.datetime({ offset: true }).optional(),
  })
  .strict();

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
                    state: z.enum(["ENABLED", "DISABLED", "PENDING_DELETION"]).optional(),
                    /** PENDING_DELETION only; RFC 3339, any time. Default 30 days ahead. */
                    timeOfDeletion: z.iso.datetime({ offset: true }).optional(),
                    /** 1-based indexes of versions scheduled for deletion (never the last, current one). */
                    pendingDeletionVersions: z.array(z.number().int().min(1)).optional(),
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
            storageTier: z.enum(["Standard", "Archive"]).optional(),
            isBucketKeyEnabled: z.boolean().optional(),
            objects: z.array(z.union([SeedObjectSchema, SeedObjectBatchSchema])).optional(),
            retentionRules: z.array(RetentionRuleSeedSchema).optional(),
          })
          .strict(),
      )
      .optional(),
    /** Replication policies: each destination becomes read-only. */
    replication: z
      .array(z.object({ source: z.string().min(1), destination: z.string().min(1), copyExisting: z.boolean().optional() }).strict())
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
/** A seed after parsing (defaults applied). */
export type ParsedSeed = z.infer<typeof SeedSchema>;
export type SseCKeyRef = z.infer<typeof SseCKeyRefSchema>;
export type SeedObject = z.infer<typeof SeedObjectSchema>;
export type SeedObjectBatch = z.infer<typeof SeedObjectBatchSchema>;
