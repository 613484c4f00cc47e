import type { Logger } from "../log.js";
import type { ObjectStore } from "../oci/object-store.js";

/** One line of a job's report: one object version and what happened to it. */
export interface ReportLine {
  namespace: string;
  bucket: string;
  object: string;
  versionId?: string;
  outcome: "reencrypted" | "failed" | "skipped" | "matched";
  status?: number;
  code?: string;
  /** A version of a unit that stopped calling: counted failed without a call. */
  notAttempted?: true;
  /** Only when not Standard. */
  storageTier?: string;
  archivalState?: string;
}

export interface ReportSink {
  add(line: ReportLine): void;
  /**
   * Resolves when the uploads have caught up (at most one part waiting); undefined when they have.
   * The engine waits on it before starting more work, so lines produced faster than parts upload
   * (a dry run lists a thousand versions per call) do not pile up in memory.
   */
  backlog(): Promise<void> | undefined;
  /**
   * Ships what is buffered now as a part and waits for every upload: the lines of everything that
   * settled before this call are then stored. A checkpoint calls it with its snapshot, so a job
   * resumed from that checkpoint neither loses nor repeats report lines.
   */
  cut(): Promise<string[]>;
  /** Uploads what is left and waits for every part; the paths of the parts written. */
  close(): Promise<string[]>;
}

export interface ReportWriterOptions {
  store: ObjectStore;
  namespace: string;
  bucket: string;
  /** The object name of the n-th part this writer produces (0-based). */
  partName(n: number): string;
  log: Logger;
  /** Default 2 MiB. */
  partBytes?: number;
}

/**
 * Report lines go straight into a fixed buffer that is uploaded as one part when full: memory
 * stays flat however many versions a job touches, and each line is copied once (string → buffer).
 * Uploads run one at a time in the background, off the engine's path.
 */
export function createReportWriter(o: ReportWriterOptions): ReportSink {
  const size = o.partBytes ?? 2 * 1024 * 1024;
  // Part buffers are recycled, never freed and allocated again: a freed 2 MiB chunk raises
  // glibc's mmap threshold, the next ones come from the heap, and RSS creeps up with every part.
  const spare: Buffer[] = [];
  const take = (): Buffer => spare.pop() ?? Buffer.allocUnsafe(size);
  let buf = take();
  let used = 0;
  let parts = 0;
  const written: string[] = [];
  let uploads: Promise<void> = Promise.resolve();
  let waiting = 0;

  const ship = (): void => {
    if (used === 0) return;
    const full = buf;
    const body = full.subarray(0, used);
    const name = o.partName(parts++);
    buf = take();
    used = 0;
    waiting++;
    uploads = uploads.then(async () => {
      try {
        await o.store.putObject(o.namespace, o.bucket, name, body, { contentType: "application/x-ndjson" });
        written.push(`/n/${o.namespace}/b/${o.bucket}/o/${name}`);
      } catch (error) {
        o.log.warn("a report part could not be written", { report: name, error: error instanceof Error ? error.message : String(error) });
      } finally {
        waiting--;
        if (full.length === size) spare.push(full);
      }
    });
  };

  return {
    add(line) {
      const text = JSON.stringify(line) + "\n";
      const bytes = Buffer.byteLength(text);
      if (used + bytes > buf.length) ship();
      if (bytes > buf.length) {
        // Cannot happen with names of at most 1024 bytes, but a line is never split.
        buf = Buffer.allocUnsafe(bytes);
      }
      used += buf.write(text, used);
    },
    backlog() {
      if (waiting <= 1) return undefined;
      const target = uploads;
      return target;
    },
    async cut() {
      ship();
      await uploads;
      return [...written];
    },
    async close() {
      ship();
      await uploads;
      return [...written];
    },
  };
}
