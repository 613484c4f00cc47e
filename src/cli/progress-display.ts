import { MultiBar, type SingleBar } from "cli-progress";

export const PROGRESS_MODES = ["auto", "bar", "json", "none"] as const;
export type ProgressMode = (typeof PROGRESS_MODES)[number];

/** What a job has done so far; rate and ETA are computed here unless the source gives them (a job record). */
export interface ProgressSample {
  /** Versions processed: matched (re-encrypted, failed or listed) plus skipped (delete markers). */
  done: number;
  reencrypted: number;
  failed: number;
  skipped: number;
  /** An estimate of the versions the job covers; undefined when unknown (no ETA then). */
  total?: number | undefined;
  rate?: number | undefined;
  etaSeconds?: number | undefined;
  status?: string | undefined;
}

export interface ProgressDisplay {
  update(s: ProgressSample): void;
  /** A line for the operator, above the bar (or as a JSON line). */
  note(message: string, fields?: Record<string, unknown>): void;
  stop(last?: ProgressSample): void;
}

const WINDOW_MS = 10_000;

/** Versions per second over the last ten seconds. */
export function rateMeter(now: () => number = Date.now): (done: number) => number {
  const samples: { at: number; done: number }[] = [];
  return (done) => {
    const t = now();
    samples.push({ at: t, done });
    while (samples.length > 2 && (samples[0] as { at: number }).at < t - WINDOW_MS) samples.shift();
    const first = samples[0] as { at: number; done: number };
    const dt = (t - first.at) / 1000;
    return dt <= 0 ? 0 : (done - first.done) / dt;
  };
}

export const formatDuration = (seconds: number | undefined): string => {
  if (seconds === undefined || !Number.isFinite(seconds)) return "?";
  const s = Math.max(0, Math.round(seconds));
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(r).padStart(2, "0")}s` : `${r}s`;
};

/** auto: a bar on a terminal, JSON lines otherwise (pipes, CI logs). */
export function resolveProgressMode(mode: ProgressMode, stream: NodeJS.WriteStream): Exclude<ProgressMode, "auto"> {
  if (mode !== "auto") return mode;
  return stream.isTTY ? "bar" : "json";
}

/**
 * Progress on stderr, stdout being the command's answer: a cli-progress bar (versions done of the
 * estimate, rate, failures, ETA) on a terminal; one JSON object a line every `intervalMs` otherwise.
 */
export function createProgress(
  mode: Exclude<ProgressMode, "auto">,
  o: { jobId: string; intervalMs: number; stream?: NodeJS.WriteStream; now?: () => number },
): ProgressDisplay {
  const stream = o.stream ?? process.stderr;
  const now = o.now ?? Date.now;
  const meter = rateMeter(now);
  const started = now();
  const derive = (s: ProgressSample): { rate: number; eta: number | undefined; total: number | undefined } => {
    const measured = meter(s.done);
    const rate = s.rate ?? measured;
    const total = s.total === undefined ? undefined : Math.max(s.total, s.done);
    const eta = s.etaSeconds ?? (total !== undefined && rate > 0 ? (total - s.done) / rate : undefined);
    return { rate, eta, total };
  };

  if (mode === "none") return { update: () => undefined, note: () => undefined, stop: () => undefined };

  if (mode === "json") {
    let last = -Infinity;
    const line = (s: ProgressSample, force: boolean): void => {
      const t = now();
      const d = derive(s);
      if (!force && t - last < o.intervalMs) return;
      last = t;
      const record = {
        event: "progress",
        jobId: o.jobId,
        done: s.done,
        ...(d.total !== undefined ? { total: d.total } : {}),
        reencrypted: s.reencrypted,
        failed: s.failed,
        skipped: s.skipped,
        ratePerSecond: Math.round(d.rate * 10) / 10,
        ...(d.eta !== undefined ? { etaSeconds: Math.round(d.eta) } : {}),
        elapsedSeconds: Math.round((t - started) / 1000),
        ...(s.status !== undefined ? { status: s.status } : {}),
      };
      stream.write(JSON.stringify(record) + "\n");
    };
    return {
      update: (s) => line(s, false),
      note: (message, fields) => stream.write(JSON.stringify({ event: "note", jobId: o.jobId, message, ...fields }) + "\n"),
      stop: (s) => {
        if (s) line(s, true);
      },
    };
  }

  // The bar: one cli-progress MultiBar (so notes print above it); the format is picked when the
  // bar appears, by whether the job's size is known.
  const multi = new MultiBar({ stream, hideCursor: true, clearOnComplete: false, stopOnComplete: false, fps: 10, barsize: 30, autopadding: true });
  const known = "{bar} {percentage}% | {value}/{total} versions | {rate}/s | {failed} failed | ETA {etaText}{status}";
  const unknown = "{value} versions | {rate}/s | {failed} failed | elapsed {elapsed}{status}";
  let bar: SingleBar | undefined;
  const render = (s: ProgressSample): void => {
    const d = derive(s);
    const payload = {
      rate: d.rate >= 100 ? String(Math.round(d.rate)) : (Math.round(d.rate * 10) / 10).toFixed(1),
      failed: String(s.failed),
      etaText: formatDuration(d.eta),
      elapsed: formatDuration((now() - started) / 1000),
      status: s.status ? ` | ${s.status}` : "",
    };
    const total = d.total ?? Math.max(1, s.done);
    if (!bar) bar = multi.create(total, s.done, payload, { format: d.total !== undefined ? known : unknown, barCompleteChar: "█", barIncompleteChar: "░" });
    else {
      bar.setTotal(total);
      bar.update(s.done, payload);
    }
  };
  return {
    update: render,
    note: (message) => {
      multi.log(message + "\n");
      // Logged lines are written at the next redraw: now, not at the next update.
      multi.update();
    },
    stop: (s) => {
      if (s) render(s);
      multi.stop();
    },
  };
}
