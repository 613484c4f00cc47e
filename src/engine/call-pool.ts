import type { Position, RedoEntry } from "../model/job.js";

// setTimeout fires at once for delays past 2^31-1 ms; clamp so "far away" stays far away.
export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, Math.min(2 ** 31 - 1, Math.max(0, ms))).unref());

export const redoEntry = (unit: number, p: Position): RedoEntry => (p.versionId === undefined ? { unit, name: p.name } : { unit, name: p.name, versionId: p.versionId });

/**
 * The calls of one shard in flight, at most `concurrency`, across all of its units. Each call is
 * a ticket; while it is in flight its version is part of the cursor's redo list (its outcome is
 * unknown until it settles).
 */
export class CallPool {
  private readonly inflight = new Map<number, RedoEntry>();
  private ticket = 0;
  private slotFreed: (() => void) | undefined;
  private drained: (() => void) | undefined;

  constructor(
    private readonly concurrency: number,
    private readonly now: () => number,
  ) {}

  get size(): number {
    return this.inflight.size;
  }

  entries(): RedoEntry[] {
    return [...this.inflight.values()];
  }

  /** Waits for a free slot and for `backlog` (the report's uploads) to keep up. */
  async admit(backlog: () => Promise<void> | undefined): Promise<void> {
    while (this.inflight.size >= this.concurrency) await new Promise<void>((r) => (this.slotFreed = r));
    const behind = backlog();
    if (behind) await behind;
  }

  /** Takes a ticket for a version and runs `call`, which must call `settle(ticket)` when its outcome is recorded. */
  start(unit: number, pos: Position, call: (ticket: number) => Promise<void>): void {
    const id = this.ticket++;
    this.inflight.set(id, redoEntry(unit, pos));
    void call(id);
  }

  settle(id: number): void {
    this.inflight.delete(id);
    const s = this.slotFreed;
    this.slotFreed = undefined;
    s?.();
    if (this.inflight.size === 0) {
      const d = this.drained;
      this.drained = undefined;
      d?.();
    }
  }

  /** Waits for the calls in flight, but not past `hardStopAt`; true when all settled. */
  async drain(hardStopAt: number): Promise<boolean> {
    if (this.inflight.size === 0) return true;
    const all = new Promise<boolean>((r) => (this.drained = () => r(true)));
    return Promise.race([all, sleep(hardStopAt - this.now()).then(() => this.inflight.size === 0)]);
  }
}
