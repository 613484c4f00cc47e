import { describe, expect, it } from "vitest";
import { busyShare, machineTicks } from "../../src/local/bench/proc.js";

// The edge row's "machine CPU busy": whether this machine, not the shards, set a run's pace.
describe("the machine's CPU share", () => {
  it("is the busy ticks over all ticks between two readings, and reads /proc/stat on Linux", () => {
    expect(busyShare({ busy: 100, total: 1_000 }, { busy: 400, total: 1_400 })).toBe(0.75);
    expect(busyShare({ busy: 100, total: 1_000 }, { busy: 100, total: 1_000 })).toBeUndefined();
    expect(busyShare(undefined, { busy: 1, total: 2 })).toBeUndefined();
    const a = machineTicks();
    const end = Date.now() + 100;
    while (Date.now() < end) Math.sqrt(Math.random());
    const b = machineTicks();
    expect(a && b && b.total >= a.total && b.busy >= a.busy).toBe(true);
    // A core spun for 100 ms: at least one of the ticks in between was busy.
    expect(busyShare(a, b)).toBeGreaterThan(0);
  });
});
