import { z } from "zod";
import { lazySchema } from "./lazy-schema.js";
import { BUCKET_GLOB_PATTERN, matchesBucketGlob } from "../glob.js";
import { KeyOcidSchema } from "./ocid.js";

/** One entry of REENCRYPT_RULES: objects in buckets matching `bucket` under `prefix` belong under `kmsKeyId`. */
export const KeyRuleSchema = lazySchema(() => z.strictObject({
  bucket: z.string().regex(BUCKET_GLOB_PATTERN, { message: "must be a bucket glob such as logs-* or ns/logs-*" }),
  prefix: z.string().default(""),
  kmsKeyId: KeyOcidSchema,
}));
export type KeyRule = z.infer<typeof KeyRuleSchema>;

export const KeyRulesSchema = lazySchema(() => z.array(KeyRuleSchema));

/** First match wins, as the contract says. */
export function findRule(rules: readonly KeyRule[], namespace: string, bucket: string, object: string): KeyRule | undefined {
  return rules.find((r) => matchesBucketGlob(r.bucket, namespace, bucket) && object.startsWith(r.prefix));
}
