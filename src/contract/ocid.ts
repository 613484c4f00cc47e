import { z } from "zod";
import { lazySchema } from "./lazy-schema.js";

// ocid1.<type>.<realm>.[region][.future].<unique>; compartments and tenancies have an empty region.
const OCID_BODY = String.raw`\.[a-z0-9]+\.[a-z0-9-]*(?:\.[a-z0-9-]+)?\.[a-z0-9_-]+$`;

export function ocidSchema(...types: string[]): z.ZodString {
  const pattern = new RegExp(`^ocid1\\.(?:${types.join("|")})${OCID_BODY}`);
  // Real OCIDs are well under 255 characters; a longer one would only be echoed into logs and URLs.
  return z.string().max(255, { message: "must be an OCID (at most 255 characters)" }).regex(pattern, { message: `must be an OCID of type ${types.join(" or ")} (ocid1.${types[0]}.oc1..…)` });
}

export const KeyOcidSchema = lazySchema(() => ocidSchema("key"));
export const KeyVersionOcidSchema = lazySchema(() => ocidSchema("keyversion"));
export const SecretOcidSchema = lazySchema(() => ocidSchema("vaultsecret"));
export const CompartmentOcidSchema = lazySchema(() => ocidSchema("compartment", "tenancy"));
export const VaultOcidSchema = lazySchema(() => ocidSchema("vault"));
