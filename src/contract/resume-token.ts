import { deflateRawSync, inflateRawSync } from "node:zlib";
import { z } from "zod";
import { invalidPayload } from "../errors.js";
import type { Job } from "../jobs/job.js";
import { BucketNameSchema, NamespaceSchema } from "./request.js";
import { KeyOcidSchema, SecretOcidSchema } from "./ocid.js";
import { toFieldIssues } from "./zod-issues.js";

const PREFIX = "r1.";
const Sha256Schema = z.string().regex(/^[A-Za-z0-9+/]{43}=$/);
const PositionSchema = z.strictObject({ name: z.string().min(1), versionId: z.string().min(1).optional() });
const CountsSchema = z.strictObject({
  matched: z.number().int().nonnegative(),
  reencrypted: z.number().int().nonnegative(),
  failed: z.number().int().nonnegative(),
  skipped: z.number().int().nonnegative(),
});

const JobKeySchema = z.union([
  z.strictObject({ type: z.literal("bucket") }),
  z.strictObject({ type: z.literal("kms"), kmsKeyId: KeyOcidSchema }),
  z.strictObject({ type: z.literal("sse-c"), secretId: SecretOcidSchema }),
  z.strictObject({ type: z.literal("sse-c"), keySha256: Sha256Schema }),
]);

/** A Job as it travels in a token: validated as strictly as a request. */
export const JobSchema = z
  .strictObject({
    id: z.string().regex(/^[A-Za-z0-9-]{8,64}$/),
    origin: z.enum(["request", "object-event", "rotation"]),
    units: z
      .array(
        z.strictObject({
          namespace: NamespaceSchema,
          bucket: BucketNameSchema,
          scope: z.union([
            z.strictObject({ kind: z.literal("object"), object: z.string().min(1), versionId: z.string().min(1).optional() }),
            z.strictObject({ kind: z.literal("prefix"), prefix: z.string(), allVersions: z.boolean(), exclude: z.array(z.string()).optional() }),
          ]),
          key: JobKeySchema,
        }),
      )
      .min(1),
    sourceKey: z.union([z.strictObject({ secretId: SecretOcidSchema }), z.strictObject({ keySha256: Sha256Schema })]).optional(),
    dryRun: z.boolean(),
    cursor: z.strictObject({ unit: z.number().int().nonnegative(), after: PositionSchema.optional(), redo: z.array(PositionSchema) }),
    totals: CountsSchema,
    seq: z.number().int().nonnegative(),
  })
  .refine((j) => j.cursor.unit < j.units.length, { message: "cursor points past the last unit", path: ["cursor", "unit"] });

export function encodeResumeToken(job: Job): string {
  return PREFIX + deflateRawSync(Buffer.from(JSON.stringify(job))).toString("base64url");
}

export function decodeResumeToken(token: string): Job {
  const bad = (why: string) => invalidPayload(`invalid resume token: ${why}`, [{ path: "resume", message: why }]);
  if (!token.startsWith(PREFIX)) throw bad("not a token issued by this function");
  let json: unknown;
  try {
    json = JSON.parse(inflateRawSync(Buffer.from(token.slice(PREFIX.length), "base64url"), { maxOutputLength: 8 * 1024 * 1024 }).toString("utf8"));
  } catch {
    throw bad("cannot be decoded (truncated or altered?)");
  }
  const parsed = JobSchema.safeParse(json);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error, ["resume"]);
    throw invalidPayload(`invalid resume token: ${issues[0]?.path ?? "resume"}: ${issues[0]?.message ?? "invalid"}`, issues);
  }
  return parsed.data as Job;
}
