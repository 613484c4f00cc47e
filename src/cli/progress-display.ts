import { MultiBar, type SingleBar } from "cli-progress";
import { colourWanted, escapeControls, painter, terminalSafeJson, truncateText } from "./terminal-text.js";

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
  /** How long the job has run (a job record's age); default: since this display started. */
  elapsedSeconds?: number | undefined;
  status?: string | undefined;
  /** false: work is left (the bar never shows 100 % then, whatever the estimate said). */
  finished?: boolean | undefined;
}

export interface ProgressDisplay {
  update(s: ProgressSample): void;
  /** A line for the operator, above the bar (or as a JSON line); escaped. */
  note(message: string, fields?: Record<string, unknown>): void;
  /** A spinner with the elapsed time while one long call runs (a synchronous invocation); call the result when it returns. */
  waiting(label: string): () => void;
  /** Names the job once it is known (invoke learns it from the first answer). */
  setJobId(jobId: string): void;
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

const formatRate = (r: number): string => (r >= 100 ? String(Math.round(r)) : (Math.round(r * 10) / 10).toFixed(1));

/** auto: a bar on a terminal, JSON lines otherwise (pipes, CI logs). */
export function resolveProgressMode(mode: ProgressMode, stream: NodeJS.WriteStream): Exclude<ProgressMode, "auto"> {
  if (mode !== "auto") return mode;
  return stream.isTTY ? "bar" : "json";
}

const SPINNER = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

interface Derived {
  rate: number;
  eta: number | undefined;
  total: number | undefined;
  elapsed: number;
}

/**
 * Rate, ETA, total and elapsed time of a sample. The rate is the source's (a job record's) or
 * measured over the last ten seconds; the last sample's is the whole run's average, so a short job
 * never ends on "0.0/s".
 */
function deriver(now: () => number, startDone: number | undefined): { derive(s: ProgressSample, final: boolean): Derived; started: number } {
  const meter = rateMeter(now);
  const started = now();
  let firstDone = startDone;
  return {
    started,
    derive(s, final) {
      firstDone ??= s.done;
      const measured = meter(s.done);
      const secs = (now() - started) / 1000;
      const average = secs > 0 ? (s.done - firstDone) / secs : 0;
      const rate = s.rate ?? (final ? average : measured);
      const total = s.total === undefined ? undefined : s.finished === false ? Math.max(s.total, s.done + 1) : Math.max(s.total, s.done);
      const eta = final ? 0 : (s.etaSeconds ?? (total !== undefined && rate > 0 ? (total - s.done) / rate : undefined));
      return { rate, eta, total, elapsed: s.elapsedSeconds ?? secs };
    },
  };
}

/** One JSON object a line every `intervalMs` (pipes, CI logs): exact JSON, terminal-safe. */
function jsonProgress(o: { jobId: string; intervalMs: number; stream: NodeJS.WriteStream; now: () => number; startDone?: number | undefined }): ProgressDisplay {
  const { stream, now } = o;
  const d = deriver(now, o.startDone);
  let jobId = o.jobId;
  let last = -Infinity;
  // invoke learns its job id from the first answer: until then the lines name none.
  const write = (record: Record<string, unknown>): void => void stream.write(terminalSafeJson(record["jobId"] === "" ? { ...record, jobId: undefined } : record) + "\n");
  const line = (s: ProgressSample, force: boolean): void => {
    const t = now();
    const x = d.derive(s, force);
    if (!force && t - last < o.intervalMs) return;
    last = t;
    write({
      event: "progress",
      jobId,
      done: s.done,
      ...(x.total !== undefined ? { total: x.total } : {}),
      reencrypted: s.reencrypted,
      failed: s.failed,
      skipped: s.skipped,
      ratePerSecond: Math.round(x.rate * 10) / 10,
      ...(x.eta !== undefined ? { etaSeconds: Math.round(x.eta) } : {}),
      elapsedSeconds: Math.round(x.elapsed),
      ...(s.status !== undefined ? { status: s.status } : {}),
    });
  };
  return {
    update: (s) => line(s, false),
    note: (message, fields) => write({ event: "note", jobId, message, ...fields }),
    waiting: (label) => {
      const from = now();
      const tick = (): void => write({ event: "waiting", jobId, message: label, elapsedSeconds: Math.round((now() - from) / 1000) });
      tick();
      const timer = setInterval(tick, Math.max(1000, o.intervalMs));
      timer.unref();
      return () => clearInterval(timer);
    },
    setJobId: (id) => void (jobId = id),
    stop: (s) => {
      if (s) line(s, true);
    },
  };
}

/**
 * The bar: one cli-progress MultiBar, so notes print above it. cli-progress re-arms its redraw
 * timer on every update(), and a timer armed before the bar exists or after it stopped outlives
 * stop(): the process then never exits (issue 20 item 1). So update() is only called while a bar
 * is active, and notes outside that window are written straight to the stream.
 */
function barProgress(o: { intervalMs: number; stream: NodeJS.WriteStream; now: () => number; startDone?: number | undefined }): ProgressDisplay {
  const { stream, now } = o;
  const d = deriver(now, o.startDone);
  const paint = painter(colourWanted(stream));
  const multi = new MultiBar({ stream, hideCursor: true, clearOnComplete: false, stopOnComplete: false, fps: 10, barsize: 30, autopadding: true, gracefulExit: false });
  const known = "{bar} {percentage}% | {value}/{total} versions | {rate}/s | {failed} failed | {timeText}{status}";
  const unknown = "{value} versions | {rate}/s | {failed} failed | elapsed {elapsed}{status}";
  let bar: SingleBar | undefined;
  let active = false;
  let stopped = false;
  let last: ProgressSample | undefined;
  let spinnerText = "";
  let spinLine: { timer: NodeJS.Timeout; clear(): void } | undefined;

  const render = (s: ProgressSample, final: boolean): void => {
    if (stopped) return;
    last = s;
    const x = d.derive(s, final);
    const failed = s.failed > 0 ? paint("red", String(s.failed)) : String(s.failed);
    const status = [s.status ? escapeControls(s.status) : "", spinnerText].filter(Boolean).join(" ");
    const payload = {
      rate: formatRate(x.rate),
      failed,
      timeText: final ? `${s.finished === false ? "stopped after" : "took"} ${formatDuration(x.elapsed)}` : `ETA ${formatDuration(x.eta)}`,
      elapsed: formatDuration(x.elapsed),
      status: status ? ` | ${status}` : "",
    };
    const total = x.total ?? Math.max(1, s.done);
    if (!bar) {
      spinLine?.clear();
      bar = multi.create(total, s.done, payload, { format: x.total !== undefined ? known : unknown, barCompleteChar: "█", barIncompleteChar: "░" });
      active = true;
    } else {
      bar.setTotal(total);
      bar.update(s.done, payload);
    }
  };

  /** The spinner before any bar exists: its own line, redrawn in place. */
  const ownLine = (label: string, from: number): { timer: NodeJS.Timeout; clear(): void } => {
    let frame = 0;
    // One terminal line, never wrapped: \r and erase-line reach back only one line.
    const fit = (text: string): string => (stream.columns && stream.columns > 10 ? truncateText(text, stream.columns - 3) : text);
    const draw = (): void => {
      const elapsed = formatDuration((now() - from) / 1000);
      stream.write(`\r\u001b[2K${paint("cyan", SPINNER[frame++ % SPINNER.length] as string)} ${fit(`${elapsed} ${label}`)}`);
    };
    draw();
    const timer = setInterval(draw, 100);
    timer.unref();
    let cleared = false;
    return {
      timer,
      clear: () => {
        clearInterval(timer);
        if (!cleared) stream.write("\r\u001b[2K");
        cleared = true;
      },
    };
  };

  return {
    update: (s) => render(s, false),
    note: (message) => {
      const text = escapeControls(message) + "\n";
      if (active && !stopped) {
        multi.log(text);
        // Logged lines are written at the next redraw: now, not at the next update.
        multi.update();
      } else {
        spinLine?.clear();
        spinLine = undefined;
        stream.write(text);
      }
    },
    waiting: (label) => {
      const from = now();
      const safe = escapeControls(label);
      if (!active) {
        spinLine = ownLine(safe, from);
        const mine = spinLine;
        return () => {
          mine.clear();
          if (spinLine === mine) spinLine = undefined;
        };
      }
      // A bar already shows the job: the spinner and the call's elapsed time go in its status.
      let frame = 0;
      const timer = setInterval(() => {
        spinnerText = `${SPINNER[frame++ % SPINNER.length]} ${formatDuration((now() - from) / 1000)} ${safe}`;
        if (last) render(last, false);
      }, 200);
      timer.unref();
      return () => {
        clearInterval(timer);
        spinnerText = "";
      };
    },
    setJobId: () => undefined,
    stop: (s) => {
      if (stopped) return;
      spinLine?.clear();
      spinLine = undefined;
      if (s) render(s, true);
      stopped = true;
      if (active) multi.stop();
      active = false;
    },
  };
}

/**
 * Progress on stderr, stdout being the command's answer: a cli-progress bar (versions done of the
 * estimate, rate, failures, ETA) on a terminal; one JSON object a line every `intervalMs` otherwise.
 */
export function createProgress(
  mode: Exclude<ProgressMode, "auto">,
  o: { jobId: string; intervalMs: number; stream?: NodeJS.WriteStream; now?: () => number; /** What was done before this display started (a resumed job's totals): the average rate counts from it. */ startDone?: number },
): ProgressDisplay {
  const stream = o.stream ?? process.stderr;
  const now = o.now ?? Date.now;
  if (mode === "none") return { update: () => undefined, note: () => undefined, waiting: () => () => undefined, setJobId: () => undefined, stop: () => undefined };
  if (mode === "json") return jsonProgress({ jobId: o.jobId, intervalMs: o.intervalMs, stream, now, startDone: o.startDone });
  return barProgress({ intervalMs: o.intervalMs, stream, now, startDone: o.startDone });
}
