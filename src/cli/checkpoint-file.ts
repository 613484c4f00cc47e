import { readFileSync, renameSync, writeFileSync } from "node:fs";
import { z } from "zod";
import { CountsSchema, CursorSchema, failureFields, JobSpecSchema, MAX_JOB_UNITS, NameRangeSchema } from "../contract/job-spec-schema.js";
import type { FailureRecord } from "../model/failure.js";
import type { Counts, JobSpec, ShardWork } from "../model/job.js";
import { usageError } from "./cli-error.js";
import type { ReportFormat } from "./report-file.js";

export const CHECKPOINT_FORMAT = "oci-reencrypt-checkpoint/1";

/**
 * Where a job ran, so `--resume` goes back there (issue 20 item 2): the Object Storage endpoint it
 * was given (undefined: the region's own), the region, the config file and profile, the auth type.
 * Never credentials: no key, no token, no fingerprint; an endpoint's user-info is dropped.
 */
export interface RunTarget {
  endpoint?: string | undefined;
  region?: string | undefined;
  auth: string;
  configFile?: string | undefined;
  profile?: string | undefined;
}

/** Another local job: its id and, when known, its checkpoint file. */
export interface JobLink {
  jobId: string;
  checkpoint?: string | undefined;
}

/**
 * A local job's checkpoint: the job (never key material: inline SSE-C keys are named by their
 * keySha256 only), the work with the cursor of an engine snapshot, and the totals so far.
 */
export interface Checkpoint {
  format: typeof CHECKPOINT_FORMAT;
  /** The command that started the job: run, rotate. */
  command: string;
  spec: JobSpec;
  /** cursor undefined: nothing left. */
  work: Omit<ShardWork, "cursor"> & { cursor: ShardWork["cursor"] | undefined };
  totals: Counts;
  /** The whole job's first failures. */
  failures: FailureRecord[];
  /** How many runs (first run and resumes) worked on it. */
  runs: number;
  report?: { path: string; format: ReportFormat } | undefined;
  /** An estimate of the versions the job covers, for the progress bar's ETA. */
  estimatedTotal?: number | undefined;
  /** Where it ran; absent in checkpoints written before it was recorded. */
  target?: RunTarget | undefined;
  /** The finished job whose failures this job retries. */
  retryOf?: JobLink | undefined;
  /** The job started from this one's failures (`oci-reencrypt retry`). */
  retriedBy?: JobLink | undefined;
  createdAt: string;
  updatedAt: string;
}

const FailureSchema = z.strictObject(failureFields);

const LinkSchema = z.strictObject({ jobId: z.string().regex(/^[A-Za-z0-9-]{8,64}$/), checkpoint: z.string().max(4096).optional() });

const CheckpointSchema = z
  .strictObject({
    format: z.literal(CHECKPOINT_FORMAT),
    command: z.string().max(32),
    spec: JobSpecSchema,
    work: z.strictObject({
      id: z.number().int().nonnegative(),
      units: z.tuple([z.number().int().nonnegative(), z.number().int().nonnegative().max(MAX_JOB_UNITS)]),
      range: NameRangeSchema.optional(),
      cursor: CursorSchema.optional(),
    }),
    totals: CountsSchema,
    failures: z.array(FailureSchema).max(100),
    runs: z.number().int().nonnegative(),
    report: z.strictObject({ path: z.string().min(1), format: z.enum(["jsonl", "csv"]) }).optional(),
    estimatedTotal: z.number().nonnegative().optional(),
    target: z
      .strictObject({
        endpoint: z.string().max(2048).optional(),
        region: z.string().max(128).optional(),
        auth: z.string().max(64),
        configFile: z.string().max(4096).optional(),
        profile: z.string().max(256).optional(),
      })
      .optional(),
    retryOf: LinkSchema.optional(),
    retriedBy: LinkSchema.optional(),
    createdAt: z.string(),
    updatedAt: z.string(),
  })
  .refine((c) => c.work.units[0] < c.work.units[1] && c.work.units[1] <= c.spec.units.length, { message: "units outside the job", path: ["work", "units"] });

/** Written whole to a temporary file, then renamed over the old one: a crash never leaves half a checkpoint. */
export function writeCheckpoint(path: string, c: Checkpoint): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, JSON.stringify(c, null, 2) + "\n", { mode: 0o600 });
  renameSync(tmp, path);
}

/** `flag` names the option the path came from in messages (--resume, retry's argument). */
export function readCheckpoint(path: string, flag = "--resume"): Checkpoint {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw usageError(`${flag} ${path}: ${code === "ENOENT" ? "no such checkpoint file" : `cannot be read (${code ?? "error"})`}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw usageError(`${flag} ${path}: not a checkpoint file (not JSON)`);
  }
  const parsed = CheckpointSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw usageError(`${flag} ${path}: not a valid checkpoint (${i ? `${i.path.join(".") || "file"}: ${i.message}` : "invalid"})`);
  }
  return parsed.data as Checkpoint;
}
