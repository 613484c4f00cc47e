import { z } from "zod";
import { lazySchema } from "./lazy-schema.js";
import { KeySpecSchema, SseCKeyRefSchema } from "./key-spec.js";
import { KeyOcidSchema } from "./ocid.js";
import { parseResourceId } from "./resource-id.js";
import { BucketNameSchema, NamespaceSchema, ObjectNameSchema, PrefixSchema, VersionIdSchema } from "./names.js";

export { BucketNameSchema, NamespaceSchema, ObjectNameSchema, VersionIdSchema } from "./names.js";

export const MAX_TARGETS = 1000;

/** One object (one version when versionId is given). */
export interface ObjectTarget {
  kind: "object";
  namespace: string | undefined;
  bucket: string;
  object: string;
  versionId: string | undefined;
}

/** Every object under a prefix; the empty prefix is the whole bucket. */
export interface PrefixTarget {
  kind: "prefix";
  namespace: string | undefined;
  bucket: string;
  prefix: string;
  /** undefined: the request's `allVersions` decides. */
  allVersions: boolean | undefined;
}

export type Target = ObjectTarget | PrefixTarget;

const ObjectTargetSchema = lazySchema(() => z.strictObject({
  bucket: BucketNameSchema,
  object: ObjectNameSchema,
  versionId: VersionIdSchema.optional(),
  namespace: NamespaceSchema.optional(),
}));
const PrefixTargetSchema = lazySchema(() => z.strictObject({
  bucket: BucketNameSchema,
  prefix: PrefixSchema,
  allVersions: z.boolean().optional(),
  namespace: NamespaceSchema.optional(),
}));
const BucketTargetSchema = lazySchema(() => z.strictObject({
  bucket: BucketNameSchema,
  allVersions: z.boolean().optional(),
  namespace: NamespaceSchema.optional(),
}));
const ResourceIdTargetSchema = lazySchema(() => z.strictObject({
  resourceId: z.string().max(4096, { message: "must be at most 4096 characters" }).refine((s) => parseResourceId(s) !== undefined, {
    message: "must be /n/<namespace>/b/<bucket>/o/<object>, with % escapes as in a URL path",
  }),
  versionId: VersionIdSchema.optional(),
}));

const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);

/** Exactly one target shape, chosen by its distinguishing field so errors name the right fields. */
export const TargetSchema = lazySchema(() => z.unknown().transform((value, ctx): Target => {
  if (!isRecord(value)) {
    ctx.issues.push({ code: "custom", message: "must be an object", input: value });
    return z.NEVER;
  }
  const shapes = ["object", "prefix", "resourceId"].filter((k) => k in value);
  if (shapes.length > 1) {
    ctx.issues.push({ code: "custom", message: `has ${shapes.join(" and ")}: a target is one object, one prefix or one resourceId`, input: value });
    return z.NEVER;
  }
  const schema =
    shapes[0] === "object" ? ObjectTargetSchema : shapes[0] === "prefix" ? PrefixTargetSchema : shapes[0] === "resourceId" ? ResourceIdTargetSchema : BucketTargetSchema;
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    for (const issue of parsed.error.issues) ctx.issues.push({ ...issue, input: undefined });
    return z.NEVER;
  }
  const t = parsed.data as Record<string, unknown>;
  if (typeof t["resourceId"] === "string") {
    const p = parseResourceId(t["resourceId"]);
    if (!p) return z.NEVER;
    const bucket = BucketNameSchema.safeParse(p.bucket);
    if (!bucket.success) {
      ctx.issues.push({ code: "custom", message: `names an invalid bucket: ${bucket.error.issues[0]?.message ?? ""}`, path: ["resourceId"], input: undefined });
      return z.NEVER;
    }
    const namespace = NamespaceSchema.safeParse(p.namespace);
    const object = ObjectNameSchema.safeParse(p.object);
    if (!namespace.success || !object.success) {
      const why = !namespace.success ? `names an invalid namespace: ${namespace.error.issues[0]?.message ?? ""}` : `names an invalid object: ${object.success ? "" : (object.error.issues[0]?.message ?? "")}`;
      ctx.issues.push({ code: "custom", message: why, path: ["resourceId"], input: undefined });
      return z.NEVER;
    }
    return { kind: "object", namespace: p.namespace, bucket: p.bucket, object: p.object, versionId: t["versionId"] as string | undefined };
  }
  const common = { namespace: t["namespace"] as string | undefined, bucket: t["bucket"] as string };
  if (typeof t["object"] === "string") {
    return { kind: "object", ...common, object: t["object"], versionId: t["versionId"] as string | undefined };
  }
  return { kind: "prefix", ...common, prefix: typeof t["prefix"] === "string" ? t["prefix"] : "", allVersions: t["allVersions"] as boolean | undefined };
}));

export const ReencryptRequestSchema = lazySchema(() => z
  .strictObject({
    targets: z
      .array(TargetSchema)
      .min(1, { message: "needs at least one target" })
      .max(MAX_TARGETS, { message: `at most ${MAX_TARGETS} targets per request` }),
    key: KeySpecSchema.default({ type: "bucket" }),
    sourceKey: SseCKeyRefSchema.optional(),
    allVersions: z.boolean().default(false),
    dryRun: z.boolean().default(false),
    /** "bucket": ReencryptBucket (server side) for whole-bucket targets; "objects" (default): list and re-encrypt each version. */
    method: z.enum(["objects", "bucket"]).default("objects"),
  })
  .superRefine((r, ctx) => {
    if (r.method !== "bucket") return;
    // ReencryptBucket re-wraps with the bucket's own key, every version, the whole bucket: anything else cannot be expressed.
    if (r.key.type !== "bucket") ctx.addIssue({ code: "custom", path: ["method"], message: 'method "bucket" re-encrypts with the bucket key only: key must be {"type":"bucket"}' });
    if (r.sourceKey !== undefined) ctx.addIssue({ code: "custom", path: ["method"], message: 'method "bucket" cannot re-encrypt SSE-C objects (sourceKey)' });
    r.targets.forEach((t, i) => {
      if (t.kind !== "prefix" || t.prefix !== "") ctx.addIssue({ code: "custom", path: ["targets", i], message: 'method "bucket" takes whole-bucket targets only ({"bucket":"…"})' });
    });
  }));
export type ReencryptRequest = z.infer<typeof ReencryptRequestSchema>;

/**
 * The single-object shorthand, with the field names of `oci os object reencrypt --from-json` and of
 * ReencryptObjectDetails (`name` and `namespace` accepted as aliases, as the CLI does).
 */
export const ShorthandRequestSchema = lazySchema(() => z
  .strictObject({
    namespaceName: NamespaceSchema.optional(),
    namespace: NamespaceSchema.optional(),
    bucketName: BucketNameSchema,
    objectName: ObjectNameSchema.optional(),
    name: ObjectNameSchema.optional(),
    versionId: VersionIdSchema.optional(),
    kmsKeyId: KeyOcidSchema.optional(),
    sseCustomerKey: SseCKeyRefSchema.optional(),
    sourceSseCustomerKey: SseCKeyRefSchema.optional(),
    dryRun: z.boolean().optional(),
  })
  .superRefine((r, ctx) => {
    if ((r.objectName === undefined) === (r.name === undefined)) {
      ctx.addIssue({ code: "custom", path: ["objectName"], message: "give exactly one of objectName or its alias name" });
    }
    if (r.namespace !== undefined && r.namespaceName !== undefined) {
      ctx.addIssue({ code: "custom", path: ["namespace"], message: "give namespaceName or its alias namespace, not both" });
    }
    if (r.kmsKeyId !== undefined && r.sseCustomerKey !== undefined) {
      ctx.addIssue({ code: "custom", path: ["sseCustomerKey"], message: "give kmsKeyId or sseCustomerKey, not both" });
    }
  })
  .transform(
    (r): ReencryptRequest => ({
      targets: [
        {
          kind: "object",
          namespace: r.namespaceName ?? r.namespace,
          bucket: r.bucketName,
          object: (r.objectName ?? r.name) as string,
          versionId: r.versionId,
        },
      ],
      key:
        r.kmsKeyId !== undefined
          ? { type: "kms", kmsKeyId: r.kmsKeyId }
          : r.sseCustomerKey !== undefined
            ? { type: "sse-c", ...r.sseCustomerKey }
            : { type: "bucket" },
      ...(r.sourceSseCustomerKey === undefined ? {} : { sourceKey: r.sourceSseCustomerKey }),
      allVersions: false,
      dryRun: r.dryRun ?? false,
      method: "objects",
    }),
  ));

const SHORTHAND_FIELDS = ["bucketName", "objectName", "namespaceName", "name", "sseCustomerKey", "sourceSseCustomerKey", "kmsKeyId"];

export function isShorthand(body: Record<string, unknown>): boolean {
  return !("targets" in body) && SHORTHAND_FIELDS.some((f) => f in body);
}

export const ResumeRequestSchema = lazySchema(() => z.strictObject({
  resume: z.string().min(1, { message: "must be the token of an incomplete job" }),
  key: KeySpecSchema.optional(),
  sourceKey: SseCKeyRefSchema.optional(),
}));
export type ResumeRequest = z.infer<typeof ResumeRequestSchema>;
