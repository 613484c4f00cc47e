import { ReencryptError } from "../errors.js";
import type { Logger } from "../log.js";
import type { ObjectStore } from "../oci/object-store.js";
import { JobRecordSchema, jobRecordName, ShardRecordSchema, shardRecordName, type JobRecord, type ShardRecord } from "./job-record.js";
import { fromFormat1, JobRecordV1Schema } from "./legacy-record.js";

export interface StoredRecord {
  record: JobRecord;
  etag: string;
  /** A format-1 record read as format 2: its shards, which have no records of their own until it is first written. */
  legacy?: ShardRecord[];
}

export interface StoredShard {
  shard: ShardRecord;
  etag: string;
}

/** Job and shard records in the state bucket, read and written with ETag conditions. */
export interface JobStore {
  readonly namespace: string;
  readonly bucket: string;
  read(jobId: string): Promise<StoredRecord | undefined>;
  /** undefined when a record of that id exists already. */
  create(record: JobRecord): Promise<StoredRecord | undefined>;
  /**
   * Read-modify-write until it sticks: `mutate` gets a fresh copy on every attempt and returns
   * false to leave the record as it is. undefined when there is no record.
   */
  update(jobId: string, mutate: (r: JobRecord) => boolean): Promise<(StoredRecord & { written: boolean }) | undefined>;
  /** Replaces the job record if it is still the version read (`etag`); undefined when it moved on. */
  replace(record: JobRecord, etag: string): Promise<StoredRecord | undefined>;
  readShard(jobId: string, id: number): Promise<StoredShard | undefined>;
  /** undefined when that shard's record exists already. */
  createShard(shard: ShardRecord): Promise<StoredShard | undefined>;
  /** As update, on one shard's own record: only that shard's runners and dispatchers write it. */
  /**
   * Read, mutate, conditional write, again on a refusal. `known` (the record as this caller last
   * wrote it) stands in for the first read: its ETag makes the write fail if anyone wrote since.
   */
  updateShard(jobId: string, id: number, mutate: (s: ShardRecord) => boolean, known?: StoredShard): Promise<(StoredShard & { written: boolean }) | undefined>;
  /** Every job id with a record. */
  list(): Promise<string[]>;
  readText(name: string): Promise<{ text: string; etag: string } | undefined>;
  /** undefined when `ifNoneMatch` and the object exists, or `ifMatch` and its ETag moved. */
  writeText(name: string, text: string, o?: { ifNoneMatch?: boolean; ifMatch?: string }): Promise<string | undefined>;
  /** Names of the state bucket's objects under a prefix, in order. */
  listNames(prefix: string): Promise<string[]>;
}

/**
 * Attempts of one read-modify-write. The job record is written when shards finish, so at the end
 * of a job whose shards all finish at once they all write it within a second: the backoff grows
 * with each refusal (jittered), so they line up instead of colliding again.
 */
const MAX_ATTEMPTS = 40;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const backoff = (attempt: number): number => Math.random() * Math.min(2_000, 10 * 2 ** Math.min(attempt, 8));

export function createJobStore(store: ObjectStore, state: { namespace: string; bucket: string }, log: Logger): JobStore {
  const { namespace, bucket } = state;
  const damaged = (what: string, issue: string): ReencryptError => {
    log.error("a job record in the state bucket is not valid", { record: what, issue });
    return new ReencryptError("InternalError", 500, `the record of ${what} is damaged`);
  };
  const json = (body: Buffer): unknown => {
    try {
      return JSON.parse(body.toString("utf8"));
    } catch {
      return undefined;
    }
  };
  const parse = (jobId: string, body: Buffer): { record: JobRecord; legacy?: ShardRecord[] } => {
    const raw = json(body);
    if ((raw as { format?: unknown } | undefined)?.format === 1) {
      const v1 = JobRecordV1Schema.safeParse(raw);
      if (!v1.success || v1.data.jobId !== jobId) throw damaged(`job ${jobId}`, v1.success ? "jobId differs" : (v1.error.issues[0]?.message ?? "invalid"));
      const { record, shards } = fromFormat1(v1.data);
      return { record, legacy: shards };
    }
    const r = JobRecordSchema.safeParse(raw);
    if (!r.success || r.data.jobId !== jobId) throw damaged(`job ${jobId}`, r.success ? "jobId differs" : (r.error.issues[0]?.message ?? "invalid"));
    return { record: r.data as JobRecord };
  };
  const parseShard = (jobId: string, id: number, body: Buffer): ShardRecord => {
    const r = ShardRecordSchema.safeParse(json(body));
    if (!r.success || r.data.jobId !== jobId || r.data.id !== id) throw damaged(`shard ${id} of job ${jobId}`, r.success ? "jobId or id differs" : (r.error.issues[0]?.message ?? "invalid"));
    return r.data as ShardRecord;
  };
  const read = async (jobId: string): Promise<StoredRecord | undefined> => {
    const o = await store.getObject(namespace, bucket, jobRecordName(jobId));
    if (o === undefined) return undefined;
    const p = parse(jobId, o.body);
    return p.legacy ? { record: p.record, etag: o.etag, legacy: p.legacy } : { record: p.record, etag: o.etag };
  };
  const readShard = async (jobId: string, id: number): Promise<StoredShard | undefined> => {
    const o = await store.getObject(namespace, bucket, shardRecordName(jobId, id));
    return o === undefined ? undefined : { shard: parseShard(jobId, id, o.body), etag: o.etag };
  };
  const createShard = async (shard: ShardRecord): Promise<StoredShard | undefined> => {
    const w = await store.putObject(namespace, bucket, shardRecordName(shard.jobId, shard.id), JSON.stringify(shard), { ifNoneMatch: true });
    return w === undefined ? undefined : { shard, etag: w.etag };
  };
  const replace = async (record: JobRecord, etag: string): Promise<StoredRecord | undefined> => {
    const w = await store.putObject(namespace, bucket, jobRecordName(record.jobId), JSON.stringify(record), { ifMatch: etag });
    return w === undefined ? undefined : { record, etag: w.etag };
  };
  /**
   * A format-1 record becomes format 2: its shards' records first (create-only: a conversion cut
   * short leaves some, which count), then the job record, conditional on the version read. Its
   * new ETag, or undefined when another writer changed it first (read again).
   */
  const convert = async (stored: StoredRecord): Promise<StoredRecord | undefined> => {
    for (const s of stored.legacy ?? []) await createShard(s);
    const done = await replace(stored.record, stored.etag);
    if (done) log.info("a format-1 job record was converted to format 2", { jobId: stored.record.jobId, shards: stored.legacy?.length ?? 0 });
    return done;
  };
  const readCurrent = async (jobId: string): Promise<StoredRecord | undefined> => {
    for (let attempt = 1; ; attempt++) {
      const current = await read(jobId);
      if (!current?.legacy) return current;
      const converted = await convert(current);
      if (converted) return converted;
      if (attempt >= MAX_ATTEMPTS) throw new ReencryptError("InternalError", 500, `job ${jobId}: its format-1 record kept changing while it was converted`);
      // An older runner still checkpointing into the format-1 record: wait as the other writers do.
      await sleep(backoff(attempt));
    }
  };
  return {
    namespace,
    bucket,
    read,
    async create(record) {
      const w = await store.putObject(namespace, bucket, jobRecordName(record.jobId), JSON.stringify(record), { ifNoneMatch: true });
      return w === undefined ? undefined : { record, etag: w.etag };
    },
    replace,
    async update(jobId, mutate) {
      for (let attempt = 1; ; attempt++) {
        const current = await readCurrent(jobId);
        if (!current) return undefined;
        const copy = structuredClone(current.record);
        if (!mutate(copy)) return { ...current, written: false };
        copy.updatedAt = new Date().toISOString();
        const w = await replace(copy, current.etag);
        if (w) return { ...w, written: true };
        // Another invocation wrote in between: read again and redo the change on its version.
        if (attempt >= MAX_ATTEMPTS) throw new ReencryptError("InternalError", 500, `job ${jobId}: the record kept changing under ${MAX_ATTEMPTS} attempts to update it`);
        await sleep(backoff(attempt));
      }
    },
    readShard,
    createShard,
    async updateShard(jobId, id, mutate, known) {
      for (let attempt = 1; ; attempt++) {
        let current = attempt === 1 && known ? known : await readShard(jobId, id);
        // A format-1 job's shards get records when it is converted.
        if (!current && (await read(jobId))?.legacy) {
          await readCurrent(jobId);
          current = await readShard(jobId, id);
        }
        if (!current) return undefined;
        const copy = structuredClone(current.shard);
        if (!mutate(copy)) return { ...current, written: false };
        copy.updatedAt = new Date().toISOString();
        const w = await store.putObject(namespace, bucket, shardRecordName(jobId, id), JSON.stringify(copy), { ifMatch: current.etag });
        if (w) return { shard: copy, etag: w.etag, written: true };
        // Only a dispatcher racing the runner (or two dispatchers) get here: rare, and a few of them.
        if (attempt >= MAX_ATTEMPTS) throw new ReencryptError("InternalError", 500, `shard ${id} of job ${jobId}: its record kept changing under ${MAX_ATTEMPTS} attempts to update it`);
        await sleep(backoff(attempt));
      }
    },
    async list() {
      const ids: string[] = [];
      let start: string | undefined;
      for (;;) {
        const page = await store.listObjects(namespace, bucket, { prefix: "jobs/", start, limit: 1000 });
        for (const { name } of page.items) {
          const m = /^jobs\/([A-Za-z0-9-]{8,64})\.json$/.exec(name);
          if (m) ids.push(m[1] as string);
        }
        if (page.next === undefined) return ids;
        start = page.next;
      }
    },
    async readText(name) {
      const o = await store.getObject(namespace, bucket, name);
      return o === undefined ? undefined : { text: o.body.toString("utf8"), etag: o.etag };
    },
    async writeText(name, text, o = {}) {
      const w = await store.putObject(namespace, bucket, name, text, { ifNoneMatch: o.ifNoneMatch === true, ...(o.ifMatch !== undefined ? { ifMatch: o.ifMatch } : {}) });
      return w?.etag;
    },
    async listNames(prefix) {
      const names: string[] = [];
      let start: string | undefined;
      for (;;) {
        const page = await store.listObjects(namespace, bucket, { prefix, start, limit: 1000 });
        names.push(...page.items.map((o) => o.name));
        if (page.next === undefined) return names;
        start = page.next;
      }
    },
  };
}
