import { z } from "zod";
import { lazySchema } from "./lazy-schema.js";
import { KeyOcidSchema, SecretOcidSchema } from "./ocid.js";

const BASE64_32_BYTES = /^[A-Za-z0-9+/]{43}=$/;

/** An inline SSE-C key: base64 of exactly 32 bytes. The message never echoes the value. */
export const Base64KeySchema = lazySchema(() => z
  .string()
  .refine((s) => BASE64_32_BYTES.test(s) && Buffer.from(s, "base64").length === 32, {
    message: "must be the base64 of exactly 32 bytes (an AES-256 key)",
  }));

const exactlyOneKeySource = (k: { secretId?: string | undefined; base64Key?: string | undefined }): boolean =>
  (k.secretId === undefined) !== (k.base64Key === undefined);

export const SseCKeyRefSchema = lazySchema(() => z
  .strictObject({ secretId: SecretOcidSchema.optional(), base64Key: Base64KeySchema.optional() })
  .refine(exactlyOneKeySource, { message: 'must be {"secretId":"ocid1.vaultsecret…"} or {"base64Key":"<base64 of 32 bytes>"}' }));
export type SseCKeyRef = z.infer<typeof SseCKeyRefSchema>;

export const KeySpecSchema = lazySchema(() => z.discriminatedUnion(
  "type",
  [
    z.strictObject({ type: z.literal("bucket") }),
    z.strictObject({ type: z.literal("kms"), kmsKeyId: KeyOcidSchema }),
    z
      .strictObject({ type: z.literal("sse-c"), secretId: SecretOcidSchema.optional(), base64Key: Base64KeySchema.optional() })
      .refine(exactlyOneKeySource, {
        message: "an sse-c key needs exactly one of secretId or base64Key",
      }),
  ],
  { error: 'type must be "bucket", "kms" or "sse-c"' },
));
export type KeySpec = z.infer<typeof KeySpecSchema>;
