import type { EmulatorState } from "./emulator-state.js";
import type { ObjectVersion, StorageTier, Wrapping } from "./model.js";

export interface ReplicationStats {
  /** Versions written into a destination by replication. */
  copied: number;
  /** Not copied: SSE-C versions (no key to re-wrap them under the destination's), or the destination's key not usable. */
  skipped: { sseC: number; keyUnusable: number };
}

/**
 * Replication policies, one destination per source, in the same namespace. The source reports
 * `replicationEnabled`, the destination `isReadOnly` (the routes refuse every state-changing call
 * on it). A write into the source (REST or `state.putObject`) is copied into the destination at
 * once as a new version with the same content, ETag and MD5, wrapped by the destination's key
 * (its current version; Oracle-managed without one); deleting the source's object (no versionId)
 * deletes it in the destination. Objects already in the source when the policy is created are not
 * copied (unless `copyExisting`), nor are re-encryptions of the source (UNCONFIRMED).
 */
export class Replication {
  readonly stats: ReplicationStats = { copied: 0, skipped: { sseC: 0, keyUnusable: 0 } };
  private readonly destinations = new Map<string, string>();

  constructor(private readonly state: EmulatorState) {}

  link(source: string, destination: string, o: { copyExisting?: boolean | undefined } = {}): void {
    const src = this.state.bucket(source);
    const dst = this.state.bucket(destination);
    if (!src || !dst) throw new Error(`setReplication: unknown bucket ${src ? destination : source}`);
    if (source === destination) throw new Error("setReplication: a bucket cannot replicate into itself");
    if (src.replicationEnabled) throw new Error(`setReplication: ${source} already replicates to ${this.destinations.get(source)}`);
    if (src.isReadOnly) throw new Error(`setReplication: ${source} is a replication destination and cannot be a source`);
    if (dst.isReadOnly) throw new Error(`setReplication: ${destination} is already a replication destination`);
    if (dst.replicationEnabled) throw new Error(`setReplication: ${destination} is a replication source and cannot be a destination`);
    this.destinations.set(source, destination);
    src.replicationEnabled = true;
    dst.isReadOnly = true;
    if (o.copyExisting) {
      for (const name of this.state.sortedNames(source)) {
        const latest = this.state.versionsOf(source, name)[0];
        if (latest && !latest.isDeleteMarker) this.copy(latest, destination);
      }
    }
  }

  /** Removes the source's policy: both buckets become ordinary (as DeleteReplicationPolicy / MakeBucketWritable). */
  unlink(source: string): void {
    const destination = this.destinations.get(source);
    if (destination === undefined) return;
    this.destinations.delete(source);
    const src = this.state.bucket(source);
    const dst = this.state.bucket(destination);
    if (src) src.replicationEnabled = false;
    if (dst) dst.isReadOnly = false;
  }

  destinationOf(source: string): string | undefined {
    return this.destinations.get(source);
  }

  sourceOf(destination: string): string | undefined {
    for (const [s, d] of this.destinations) if (d === destination) return s;
    return undefined;
  }

  pairs(): { source: string; destination: string }[] {
    return [...this.destinations].map(([source, destination]) => ({ source, destination }));
  }

  afterPut(bucket: string, version: ObjectVersion): void {
    const destination = this.destinations.get(bucket);
    if (destination !== undefined) this.copy(version, destination);
  }

  afterDelete(bucket: string, name: string): void {
    const destination = this.destinations.get(bucket);
    if (destination === undefined) return;
    const latest = this.state.versionsOf(destination, name)[0];
    if (latest && !latest.isDeleteMarker) this.state.deleteObject(destination, name);
  }

  private copy(v: ObjectVersion, destination: string): void {
    if (v.wrapping.kind === "sse-c") {
      this.stats.skipped.sseC++;
      return;
    }
    const dst = this.state.bucket(destination);
    if (!dst) return;
    let wrapping: Wrapping = { kind: "oracle" };
    if (dst.kmsKeyId !== undefined) {
      const key = this.state.key(dst.kmsKeyId);
      if (!key || key.lifecycleState !== "ENABLED") {
        this.stats.skipped.keyUnusable++;
        return;
      }
      wrapping = { kind: "kms", kmsKeyId: key.id, keyVersionId: key.currentKeyVersion };
    }
    const storageTier: StorageTier = dst.storageTier === "Archive" ? "Archive" : v.storageTier;
    this.state.writeVersion(destination, v.name, {
      content: v.content,
      contentType: v.contentType,
      etag: v.etag,
      md5: v.md5,
      wrapping,
      storageTier,
    });
    this.stats.copied++;
  }
}
