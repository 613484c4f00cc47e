// JSON lines on stdout (OCI Functions ships stdout to its logs). Fields are serialised with
// JSON.stringify, so SecretValue instances print as "[redacted]". Key material only ever travels
// inside SecretValue; `redactText` is a second guard for free-form text we did not write
// (SDK and service error messages).

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

// Base64 runs of 40+ characters with mixed case are what SSE-C keys (44 chars) and PEM bodies
// look like; OCIDs (lowercase) and ordinary names are left alone.
const LONG_BASE64 = /[A-Za-z0-9+/]{40,}={0,2}/g;

export function redactText(text: string): string {
  return text.replace(LONG_BASE64, (run) => (/[A-Z]/.test(run) && /[a-z]/.test(run) ? "[redacted]" : run));
}

export function createLogger(level: LogLevel = "info", base: Record<string, unknown> = {}, sink: Sink = defaultSink): Logger {
  const threshold = LogLevels[level];
  const write = (lvl: LogLevel, msg: string, fields?: Record<string, unknown>): void => {
    if (LogLevels[lvl] < threshold) return;
    const record = { time: new Date().toISOString(), level: lvl, msg, ...base, ...fields };
    let line: string;
    try {
      line = JSON.stringify(record);
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
