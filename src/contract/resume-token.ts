import { createHmac, randomBytes, timingSafeEqual } from "node:crypto";
import { lazySchema } from "./lazy-schema.js";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { z } from "zod";
import { invalidPayload, MAX_ISSUES } from "../errors.js";
import type { Counts, JobSpec, ShardWork } from "../model/job.js";
import { CountsSchema, CursorSchema, JobSpecSchema, MAX_JOB_UNITS, MAX_SHARDS, NameRangeSchema } from "./job-spec-schema.js";
import { jsonDepthExceeds, MAX_JSON_DEPTH } from "./json-depth.js";
import { toFieldIssues } from "./zod-issues.js";

// Two kinds of token. With a state bucket a token is a reference: the job's id and a random
// nonce that the job record must still hold, so a token carries no job content and stops working
// once the job has moved on. Without one the token carries the job itself, bounded to what a
// request can express: signed (r3.<payload>.<mac>, HMAC-SHA256 over "r3.<payload>" keyed by
// REENCRYPT_TOKEN_SECRET_ID) when the function has a token secret, unsigned (r2.<payload>, v1)
// otherwise, and then only for direct invocations, whose callers IAM authorises (issue 16).

const REFERENCE = "j1.";
const SELF_CONTAINED = "r2.";
const SIGNED = "r3.";
const NONCE_BYTES = 16;
/** A self-contained token inflates to at most this: a rotation's 10,000 units fit, a zip bomb does not. */
const MAX_INFLATED = 4 * 1024 * 1024;

export const newNonce = (): string => randomBytes(NONCE_BYTES).toString("base64url");

export type TokenReference = { jobId: string; nonce: string; shard?: number };

/** What a self-contained token carries. */
export interface PortableJob {
  spec: JobSpec;
  work: ShardWork;
  /** Totals of the invocations before this one. */
  totals: Counts;
  /** How many invocations ran before this one. */
  seq: number;
  /** The gateway caller (the JWT subject the deployment maps into a header) a request job belongs to. */
  caller?: string;
}

const JOB_ID = /^[A-Za-z0-9-]{8,64}$/;
const NONCE = /^[A-Za-z0-9_-]{22,64}$/;

export function referenceToken(r: TokenReference): string {
  return r.shard === undefined ? `${REFERENCE}${r.jobId}.${r.nonce}` : `${REFERENCE}${r.jobId}.${r.shard}.${r.nonce}`;
}

const PortableJobSchema = lazySchema(() => z
  .strictObject({
    spec: JobSpecSchema,
    work: z.strictObject({
      id: z.number().int().nonnegative().max(MAX_JOB_UNITS),
      units: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative()]),
      range: NameRangeSchema.optional(),
      cursor: CursorSchema,
    }),
    totals: CountsSchema,
    seq: z.number().int().nonnegative().max(1_000_000),
    caller: z.string().min(1).max(512).optional(),
  })
  .superRefine((j, ctx) => {
    const [from, to] = j.work.units;
    if (from >= to || to > j.spec.units.length) ctx.addIssue({ code: "custom", path: ["work", "units"], message: "units outside the job" });
    if (j.work.cursor.unit < from || j.work.cursor.unit > to) ctx.addIssue({ code: "custom", path: ["work", "cursor", "unit"], message: "cursor outside the shard" });
    if (j.work.cursor.redo.some((r) => r.unit < from || r.unit >= to)) ctx.addIssue({ code: "custom", path: ["work", "cursor", "redo"], message: "redo outside the shard" });
  }));

const macOf = (key: Buffer, signed: string): Buffer => createHmac("sha256", key).update(signed, "latin1").digest();

/** A self-contained token: signed with `key` (the token secret's content) when there is one. */
export function encodePortableToken(job: PortableJob, key?: Buffer): string {
  const payload = deflateRawSync(Buffer.from(JSON.stringify(job))).toString("base64url");
  if (!key) return SELF_CONTAINED + payload;
  const signed = SIGNED + payload;
  return `${signed}.${macOf(key, signed).toString("base64url")}`;
}

export type DecodedToken = { kind: "reference"; ref: TokenReference } | { kind: "portable"; job: PortableJob; authenticated: boolean };

/** Whether a token is self-contained (r2 or r3), before anything else is read of it. */
export const isSelfContained = (token: string): boolean => token.startsWith(SELF_CONTAINED) || token.startsWith(SIGNED);

const bad = (why: string) => invalidPayload(`invalid resume token: ${why}`, [{ path: "resume", message: why }]);

/**
 * The payload of a signed token, once its MAC verifies (checked before anything is inflated, in
 * constant time); a missing or wrong MAC is a 400 naming resume.
 */
function verifiedPayload(token: string, key: Buffer | undefined): string {
  if (!key) throw bad("it is signed, and this function has no token secret (REENCRYPT_TOKEN_SECRET_ID) to check it with");
  const dot = token.lastIndexOf(".");
  const signed = dot > SIGNED.length ? token.slice(0, dot) : token;
  const given = dot > SIGNED.length ? Buffer.from(token.slice(dot + 1), "base64url") : Buffer.alloc(0);
  const expected = macOf(key, signed);
  if (given.length !== expected.length || !timingSafeEqual(given, expected)) throw bad("its MAC does not verify (not a token issued by this function, or altered)");
  return signed.slice(SIGNED.length);
}

/**
 * `key` is the token secret's content, or undefined without one. With a key, only signed
 * self-contained tokens are accepted; without one, only unsigned ones (the caller decides who may
 * send those).
 */
export function decodeResumeToken(token: string, key?: Buffer): DecodedToken {
  if (token.startsWith(REFERENCE)) {
    const parts = token.slice(REFERENCE.length).split(".");
    const [jobId, a, b] = parts;
    const shard = parts.length === 3 ? Number(a) : undefined;
    const nonce = parts.length === 3 ? b : a;
    if ((parts.length !== 2 && parts.length !== 3) || !jobId || !JOB_ID.test(jobId) || !nonce || !NONCE.test(nonce)) throw bad("not a token issued by this function");
    if (shard !== undefined && (!Number.isInteger(shard) || shard < 0 || shard > MAX_SHARDS || String(shard) !== a)) throw bad("not a token issued by this function");
    return { kind: "reference", ref: shard === undefined ? { jobId, nonce } : { jobId, nonce, shard } };
  }
  let payload: string;
  if (token.startsWith(SIGNED)) payload = verifiedPayload(token, key);
  else if (token.startsWith(SELF_CONTAINED)) {
    if (key) throw bad("it carries no MAC: this function signs its tokens (REENCRYPT_TOKEN_SECRET_ID) and accepts no others");
    payload = token.slice(SELF_CONTAINED.length);
  } else throw bad("not a token issued by this function");
  let json: unknown;
  try {
    const text = inflateRawSync(Buffer.from(payload, "base64url"), { maxOutputLength: MAX_INFLATED }).toString("utf8");
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw new Error("too deep");
    json = JSON.parse(text);
  } catch {
    throw bad("cannot be decoded (truncated, altered or too large?)");
  }
  const parsed = PortableJobSchema.safeParse(json);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error, ["resume"], MAX_ISSUES);
    throw invalidPayload(`invalid resume token: ${issues[0]?.path ?? "resume"}: ${issues[0]?.message ?? "invalid"}`, issues);
  }
  return { kind: "portable", job: parsed.data as PortableJob, authenticated: key !== undefined };
}
