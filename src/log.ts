// JSON lines on stdout (OCI Functions ships stdout to its logs). Fields are serialised with
// JSON.stringify, so SecretValue instances print as "[redacted]". Key material only ever travels
// inside SecretValue; `redactText` (redact.ts) is a second guard for free-form text we did not
// write (SDK and service error messages), and every string field of a line is searched for the
// keys this process knows, in any encoding, before it is written. Whatever else the process prints (the OCI SDK's console.warn
// lines, the FDK's console.log) comes through routeConsole and sdkLogger: one JSON object a line.

import { format } from "node:util";
import { redactKnownKeys, redactText } from "./redact.js";

export { redactText };

export const LogLevels = { debug: 10, info: 20, warn: 30, error: 40 } as const;
export type LogLevel = keyof typeof LogLevels;

export interface Logger {
  debug(msg: string, fields?: Record<string, unknown>): void;
  info(msg: string, fields?: Record<string, unknown>): void;
  warn(msg: string, fields?: Record<string, unknown>): void;
  error(msg: string, fields?: Record<string, unknown>): void;
  child(fields: Record<string, unknown>): Logger;
}

type Sink = (line: string) => void;

const defaultSink: Sink = (line) => {
  process.stdout.write(line + "\n");
};

const redactStrings = (_key: string, value: unknown): unknown => (typeof value === "string" ? redactKnownKeys(value) : value);

export function createLogger(level: LogLevel = "info", base: Record<string, unknown> = {}, sink: Sink = defaultSink): Logger {
  const threshold = LogLevels[level];
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LogLevels[lvl] < threshold) return;
    const record = { time: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
    let line: string;
    try {
      line = JSON.stringify(record, redactStrings);
    } catch {
      line = JSON.stringify({ time: record.time, level: lvl, msg, note: "unserialisable fields dropped" });
    }
    sink(line);
  };
  return {
    debug: (m, f) => write("debug", m, f),
    info: (m, f) => write("info", m, f),
    warn: (m, f) => write("warn", m, f),
    error: (m, f) => write("error", m, f),
    child: (fields) => createLogger(level, { ...base, ...fields }, sink),
  };
}

/** Longer console text is cut: one failing SDK call must not write megabytes. */
const MAX_CONSOLE_TEXT = 4_000;

// oci-common's retrier prints these with console.warn for every failed call, embedding the
// service's error text; our own failure records report the call already. Debug level only.
const SDK_RETRY_LINE = /^(Request cannot be retried|All retry attempts have exhausted|Request failed with Exception)/;

/** The text of console-style arguments, redacted and bounded. */
export function consoleText(args: unknown[]): string {
  const text = redactText(format(...args));
  return text.length > MAX_CONSOLE_TEXT ? `${text.slice(0, MAX_CONSOLE_TEXT)}… (${text.length} characters)` : text;
}

const CONSOLE_LEVELS = { debug: "debug", trace: "debug", log: "info", info: "info", dir: "info", warn: "warn", error: "error" } as const;
type ConsoleMethod = keyof typeof CONSOLE_LEVELS;

/**
 * Sends console.log/info/debug/trace/dir/warn/error of this process through `logger()` (read on
 * every call, so the configured logger replaces the boot one): each call becomes one JSON line with
 * `source: "console"`, its text redacted, newlines escaped by JSON. The OCI SDK's retry lines go to
 * debug. Returns a function that puts the console back.
 */
export function routeConsole(logger: () => Logger): () => void {
  const saved = new Map<ConsoleMethod, unknown>();
  for (const method of Object.keys(CONSOLE_LEVELS) as ConsoleMethod[]) {
    saved.set(method, console[method]);
    const level = CONSOLE_LEVELS[method];
    console[method] = (...args: unknown[]): void => {
      const text = method === "dir" ? consoleText([args[0]]) : consoleText(args);
      logger()[SDK_RETRY_LINE.test(text) ? "debug" : level](text, { source: "console" });
    };
  }
  return () => {
    for (const [method, fn] of saved) (console as unknown as Record<string, unknown>)[method] = fn;
  };
}

/** oci-common's Logger interface (`LOG.logger`), implemented over ours. */
export interface SdkLogger {
  level: string;
  debug(message?: unknown, ...rest: unknown[]): void;
  info(message?: unknown, ...rest: unknown[]): void;
  warn(message?: unknown, ...rest: unknown[]): void;
  error(message?: unknown, ...rest: unknown[]): void;
  trace(message?: unknown, ...rest: unknown[]): void;
}

/**
 * An adapter for oci-common's `LOG.logger`: its messages as JSON lines with `source: "oci-sdk"`,
 * redacted. The SDK's info lines are chatter ("ObjectStorageClient endpoint set to …", region
 * lookups): they go to debug with its debug and trace lines.
 */
export function sdkLogger(logger: () => Logger, level: LogLevel = "info"): SdkLogger {
  const at =
    (lvl: LogLevel) =>
    (...args: unknown[]): void => {
      if (LogLevels[lvl] < LogLevels[level]) return;
      logger()[lvl](consoleText(args), { source: "oci-sdk" });
    };
  return { level, debug: at("debug"), info: at("debug"), warn: at("warn"), error: at("error"), trace: at("debug") };
}
