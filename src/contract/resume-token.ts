import { randomBytes } from "node:crypto";
import { lazySchema } from "./lazy-schema.js";
import { deflateRawSync, inflateRawSync } from "node:zlib";
import { z } from "zod";
import { invalidPayload } from "../errors.js";
import type { Counts, JobSpec, ShardWork } from "../model/job.js";
import { CountsSchema, CursorSchema, JobSpecSchema, MAX_JOB_UNITS, NameRangeSchema } from "./job-spec-schema.js";
import { jsonDepthExceeds, MAX_JSON_DEPTH } from "./json-depth.js";
import { toFieldIssues } from "./zod-issues.js";

// Two kinds of token. With a state bucket a token is a reference: the job's id and a random
// nonce that the job record must still hold, so a token carries no job content and stops working
// once the job has moved on. Without one (v1) the token carries the job itself, bounded to what a
// request can express.

const REFERENCE = "j1.";
const SELF_CONTAINED = "r2.";
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
  })
  .superRefine((j, ctx) => {
    const [from, to] = j.work.units;
    if (from >= to || to > j.spec.units.length) ctx.addIssue({ code: "custom", path: ["work", "units"], message: "units outside the job" });
    if (j.work.cursor.unit < from || j.work.cursor.unit > to) ctx.addIssue({ code: "custom", path: ["work", "cursor", "unit"], message: "cursor outside the shard" });
    if (j.work.cursor.redo.some((r) => r.unit < from || r.unit >= to)) ctx.addIssue({ code: "custom", path: ["work", "cursor", "redo"], message: "redo outside the shard" });
  }));

export function encodePortableToken(job: PortableJob): string {
  return SELF_CONTAINED + deflateRawSync(Buffer.from(JSON.stringify(job))).toString("base64url");
}

export type DecodedToken = { kind: "reference"; ref: TokenReference } | { kind: "portable"; job: PortableJob };

const bad = (why: string) => invalidPayload(`invalid resume token: ${why}`, [{ path: "resume", message: why }]);

export function decodeResumeToken(token: string): DecodedToken {
  if (token.startsWith(REFERENCE)) {
    const parts = token.slice(REFERENCE.length).split(".");
    const [jobId, a, b] = parts;
    const shard = parts.length === 3 ? Number(a) : undefined;
    const nonce = parts.length === 3 ? b : a;
    if ((parts.length !== 2 && parts.length !== 3) || !jobId || !JOB_ID.test(jobId) || !nonce || !NONCE.test(nonce)) throw bad("not a token issued by this function");
    if (shard !== undefined && (!Number.isInteger(shard) || shard < 0 || shard > MAX_JOB_UNITS || String(shard) !== a)) throw bad("not a token issued by this function");
    return { kind: "reference", ref: shard === undefined ? { jobId, nonce } : { jobId, nonce, shard } };
  }
  if (!token.startsWith(SELF_CONTAINED)) throw bad("not a token issued by this function");
  let json: unknown;
  try {
    const text = inflateRawSync(Buffer.from(token.slice(SELF_CONTAINED.length), "base64url"), { maxOutputLength: MAX_INFLATED }).toString("utf8");
    if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) throw new Error("too deep");
    json = JSON.parse(text);
  } catch {
    throw bad("cannot be decoded (truncated, altered or too large?)");
  }
  const parsed = PortableJobSchema.safeParse(json);
  if (!parsed.success) {
    const issues = toFieldIssues(parsed.error, ["resume"]);
    throw invalidPayload(`invalid resume token: ${issues[0]?.path ?? "resume"}: ${issues[0]?.message ?? "invalid"}`, issues);
  }
  return { kind: "portable", job: parsed.data as PortableJob };
}
