import { ReencryptError } from "../errors.js";
import type { Logger } from "../log.js";
import type { ObjectStore } from "../oci/object-store.js";
import { JobRecordSchema, jobRecordName, type JobRecord } from "./job-record.js";

export interface StoredRecord {
  record: JobRecord;
  etag: string;
}

/** Job records in the state bucket, read and written with ETag conditions. */
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
  /** Every job id with a record. */
  list(): Promise<string[]>;
  readText(name: string): Promise<{ text: string; etag: string } | undefined>;
  /** undefined when `ifNoneMatch` and the object exists, or `ifMatch` and its ETag moved. */
  writeText(name: string, text: string, o?: { ifNoneMatch?: boolean; ifMatch?: string }): Promise<string | undefined>;
  /** Names of the state bucket's objects under a prefix, in order. */
  listNames(prefix: string): Promise<string[]>;
}

const MAX_ATTEMPTS = 25;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export function createJobStore(store: ObjectStore, state: { namespace: string; bucket: string }, log: Logger): JobStore {
  const { namespace, bucket } = state;
  const parse = (jobId: string, body: Buffer): JobRecord => {
    let json: unknown;
    try {
      json = JSON.parse(body.toString("utf8"));
    } catch {
      json = undefined;
    }
    const r = JobRecordSchema.safeParse(json);
    if (!r.success || r.data.jobId !== jobId) {
      log.error("a job record in the state bucket is not valid", { jobId, issue: r.success ? "jobId differs" : (r.error.issues[0]?.message ?? "invalid") });
      throw new ReencryptError("InternalError", 500, `the record of job ${jobId} is damaged`);
    }
    return r.data as JobRecord;
  };
  const read = async (jobId: string): Promise<StoredRecord | undefined> => {
    const o = await store.getObject(namespace, bucket, jobRecordName(jobId));
    return o === undefined ? undefined : { record: parse(jobId, o.body), etag: o.etag };
  };
  return {
    namespace,
    bucket,
    read,
    async create(record) {
      const w = await store.putObject(namespace, bucket, jobRecordName(record.jobId), JSON.stringify(record), { ifNoneMatch: true });
      return w === undefined ? undefined : { record, etag: w.etag };
    },
    async update(jobId, mutate) {
      for (let attempt = 1; ; attempt++) {
        const current = await read(jobId);
        if (!current) return undefined;
        const copy = structuredClone(current.record);
        if (!mutate(copy)) return { ...current, written: false };
        const w = await store.putObject(namespace, bucket, jobRecordName(jobId), JSON.stringify(copy), { ifMatch: current.etag });
        if (w) return { record: copy, etag: w.etag, written: true };
        // Another invocation wrote in between: read again and redo the change on its version.
        if (attempt >= MAX_ATTEMPTS) throw new ReencryptError("InternalError", 500, `job ${jobId}: the record kept changing under ${MAX_ATTEMPTS} attempts to update it`);
        await sleep(Math.random() * Math.min(1000, 20 * attempt));
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
