import { z } from "zod";
import { lazySchema } from "./lazy-schema.js";

// Object Storage's naming rules (contract §10), applied to names from requests, tokens and events
// before anything is called. A lone surrogate cannot be encoded as UTF-8: the SDK would throw
// "URI malformed" deep inside a call, which looks like a network failure.

export const MAX_NAME_BYTES = 1024;

const wellFormed = (s: string): boolean => s.isWellFormed();
const withinBytes = (s: string): boolean => Buffer.byteLength(s, "utf8") <= MAX_NAME_BYTES;

export const NamespaceSchema = lazySchema(() => z.string().regex(/^[A-Za-z0-9_-]{1,128}$/, { message: "must be an Object Storage namespace" }));

export const BUCKET_NAME_PATTERN = /^[A-Za-z0-9_.-]{1,256}$/;

export const BucketNameSchema = lazySchema(() => z
  .string()
  .min(1, { message: "must not be empty" })
  .max(256, { message: "must be at most 256 characters" })
  .regex(/^[A-Za-z0-9_.-]+$/, { message: "may contain only letters, digits, '-', '_' and '.'" }));

/** An object name, prefix or version id: at most 1024 bytes of well-formed UTF-8. */
const nameText = (what: string): z.ZodString =>
  z
    .string()
    .refine(wellFormed, { message: `${what} must be valid Unicode (no lone surrogate)` })
    .refine(withinBytes, { message: `${what} must be at most ${MAX_NAME_BYTES} bytes of UTF-8` });

export const ObjectNameSchema = lazySchema(() => nameText("an object name").min(1, { message: "must not be empty" }));
export const PrefixSchema = lazySchema(() => nameText("a prefix"));
export const VersionIdSchema = lazySchema(() => nameText("a version id").min(1, { message: "must not be empty" }));

/** The same rules as a predicate, for names that arrive where a 400 is not the answer (events). */
export function isValidObjectName(name: string): boolean {
  return name.length > 0 && wellFormed(name) && withinBytes(name);
}

export function isValidBucketName(name: string): boolean {
  return BUCKET_NAME_PATTERN.test(name);
}
