import { readFileSync } from "node:fs";

/** A VmXXX line of /proc/<pid>/status, in bytes; undefined where /proc is not available. */
export function procMemory(pid: number, field: "VmRSS" | "VmHWM"): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, "utf8");
    const m = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, "m").exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** User + system CPU time of a process so far, in ms (from /proc/<pid>/stat, clock ticks of 10 ms). */
export function procCpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces: count fields after its closing parenthesis.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) * 10;
  } catch {
    return undefined;
  }
}

/** The whole machine's CPU ticks so far (/proc/stat): busy (all but idle and iowait) and total, over every core. */
export function machineTicks(): { busy: number; total: number } | undefined {
  try {
    const first = readFileSync("/proc/stat", "utf8").split("\n", 1)[0] ?? "";
    const t = first.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = t.reduce((a, b) => a + b, 0);
    return { busy: total - (t[3] ?? 0) - (t[4] ?? 0), total };
  } catch {
    return undefined;
  }
}

/** The share of the machine's CPU (0–1, all cores) busy between two machineTicks() readings. */
export function busyShare(from: ReturnType<typeof machineTicks>, to: ReturnType<typeof machineTicks>): number | undefined {
  if (!from || !to || to.total <= from.total) return undefined;
  return (to.busy - from.busy) / (to.total - from.total);
}
