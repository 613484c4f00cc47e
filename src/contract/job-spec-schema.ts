import { z } from "zod";
import { lazySchema } from "./lazy-schema.js";
import { KeyOcidSchema, KeyVersionOcidSchema, SecretOcidSchema } from "./ocid.js";
import { BucketNameSchema, NamespaceSchema, ObjectNameSchema, PrefixSchema, VersionIdSchema } from "./names.js";
import { MAX_TARGETS } from "./request.js";

// Jobs read back from where they were kept (a self-contained resume token, a job record in the
// state bucket) are validated as strictly as a request: they can express nothing a request or
// event could not.

/** A rotation can span more buckets and rule scopes than a request may name. */
export const MAX_JOB_UNITS = 10_000;
/** Shards of one job: its units, and the name ranges split off them (one per 10,000 versions listed). */
export const MAX_SHARDS = 1_000_000;
/** What can be unknown when a shard stops: its calls in flight (at most 256) and its second chances (at most 256). */
export const MAX_REDO = 512;
const MAX_EXCLUDES = 100;
/** Name ranges of one unit: two per rule at most, and rules are few. */
const MAX_RANGES = 1_000;
/** Scopes a job names as left alone, kept with it (the answer says how many more there were). */
export const MAX_LEFT_ALONE = 1_000;

const Sha256Schema = lazySchema(() => z.string().regex(/^[A-Za-z0-9+/]{43}=$/));

export const CountsSchema = lazySchema(() =>
  z.strictObject({
    matched: z.number().int().nonnegative(),
    reencrypted: z.number().int().nonnegative(),
    failed: z.number().int().nonnegative(),
    skipped: z.number().int().nonnegative(),
  }),
);

const JobKeySchema = lazySchema(() =>
  z.union([
    z.strictObject({ type: z.literal("bucket") }),
    z.strictObject({ type: z.literal("kms"), kmsKeyId: KeyOcidSchema }),
    z.strictObject({ type: z.literal("sse-c"), secretId: SecretOcidSchema }),
    z.strictObject({ type: z.literal("sse-c"), keySha256: Sha256Schema }),
  ]),
);

export const NameRangeSchema = lazySchema(() => z.strictObject({ start: ObjectNameSchema.optional(), end: ObjectNameSchema.optional() }));

const KeyIdOrNullSchema = lazySchema(() => z.union([KeyOcidSchema, z.null()]));

export const UnitSchema = lazySchema(() => z.strictObject({
  namespace: NamespaceSchema,
  bucket: BucketNameSchema,
  scope: z.union([
    z.strictObject({ kind: z.literal("object"), object: ObjectNameSchema, versionId: VersionIdSchema.optional() }),
    z.strictObject({
      kind: z.literal("prefix"),
      prefix: PrefixSchema,
      allVersions: z.boolean(),
      ranges: z.array(NameRangeSchema).max(MAX_RANGES).optional(),
      exclude: z.array(PrefixSchema).max(MAX_EXCLUDES).optional(),
    }),
  ]),
  key: JobKeySchema,
  method: z.literal("bucket").optional(),
  bucketKey: KeyIdOrNullSchema.optional(),
  blocked: z.strictObject({ status: z.number().int().min(400).max(599), code: z.string().max(100), message: z.string().max(1000) }).optional(),
}));

const LeftAloneSchema = lazySchema(() => z.strictObject({
  namespace: NamespaceSchema,
  bucket: BucketNameSchema,
  prefix: PrefixSchema,
  governedBy: z.union([
    z.strictObject({ rule: z.number().int().nonnegative(), bucketGlob: z.string().max(300), rulePrefix: PrefixSchema, kmsKeyId: KeyOcidSchema }),
    z.strictObject({ bucketKey: KeyIdOrNullSchema }),
  ]),
}));

const SkippedBucketSchema = lazySchema(() => z.strictObject({ namespace: NamespaceSchema, bucket: BucketNameSchema, reason: z.literal("read-only") }));

export const JOB_ORIGINS = ["request", "object-event", "rotation", "key-change"] as const;

export const JobIdSchema = lazySchema(() => z.string().regex(/^[A-Za-z0-9-]{8,64}$/, { message: "must be a job id" }));

export const JobSpecObjectSchema = lazySchema(() => z.strictObject({
  id: JobIdSchema,
  origin: z.enum(JOB_ORIGINS),
  units: z.array(UnitSchema).min(1).max(MAX_JOB_UNITS),
  sourceKey: z.union([z.strictObject({ secretId: SecretOcidSchema }), z.strictObject({ keySha256: Sha256Schema })]).optional(),
  dryRun: z.boolean(),
  leftAlone: z.array(LeftAloneSchema).max(MAX_LEFT_ALONE).optional(),
  skippedBuckets: z.array(SkippedBucketSchema).max(MAX_JOB_UNITS).optional(),
  keyVersion: z.strictObject({ keyId: KeyOcidSchema, versionId: KeyVersionOcidSchema }).optional(),
}));

export const JobSpecSchema = lazySchema(() => JobSpecObjectSchema.refine((j) => j.origin !== "request" || j.units.length <= MAX_TARGETS, { message: `a request's job has at most ${MAX_TARGETS} units`, path: ["units"] }));

export const PositionSchema = lazySchema(() => z.strictObject({ name: ObjectNameSchema, versionId: VersionIdSchema.optional() }));

const UnitIndexSchema = lazySchema(() => z.number().int().nonnegative().max(MAX_JOB_UNITS));

export const CursorSchema = lazySchema(() => {
  const StatusCodeFields = { unit: UnitIndexSchema, status: z.number().int().nonnegative().max(999), code: z.string().max(100) };
  return z.strictObject({
  unit: UnitIndexSchema,
  after: PositionSchema.optional(),
  redo: z.array(PositionSchema.extend({ unit: UnitIndexSchema })).max(MAX_REDO),
  workRequestId: z.string().min(1).max(256).optional(),
  streaks: z.array(z.strictObject({ ...StatusCodeFields, n: z.number().int().positive() })).max(MAX_JOB_UNITS).optional(),
  stopped: z.array(z.strictObject({ ...StatusCodeFields, message: z.string().max(1000), n: z.number().int().positive() })).max(MAX_JOB_UNITS).optional(),
  listingFailure: z.strictObject({ unit: UnitIndexSchema, attempts: z.number().int().positive().max(1_000_000), since: z.number() }).optional(),
  });
});

/** A failure as records and checkpoint files keep it (FailureRecord). */
export const failureFields = {
  namespace: z.string(),
  bucket: z.string(),
  object: z.string(),
  versionId: z.string().optional(),
  status: z.number(),
  code: z.string(),
  message: z.string(),
  hint: z.string(),
  opcRequestId: z.string().optional(),
  notAttempted: z.number().int().nonnegative().optional(),
  storageTier: z.string().optional(),
  archivalState: z.string().optional(),
};
