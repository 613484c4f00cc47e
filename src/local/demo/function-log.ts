export interface LogRecord {
  level?: string;
  msg?: string;
  [field: string]: unknown;
}

/**
 * Turns the function's output chunks into whole lines: a pipe may split a JSON log line anywhere,
 * and a half line would parse as garbage.
 */
export function lineSplitter(onLine: (stream: "stdout" | "stderr", line: string, record: LogRecord | undefined) => void) {
  const pending = { stdout: "", stderr: "" };
  return (stream: "stdout" | "stderr", chunk: string): void => {
    const text = pending[stream] + chunk;
    const lines = text.split("\n");
    pending[stream] = lines.pop() ?? "";
    for (const line of lines) {
      if (line.trim() === "") continue;
      let record: LogRecord | undefined;
      try {
        const parsed: unknown = JSON.parse(line);
        if (parsed !== null && typeof parsed === "object" && !Array.isArray(parsed)) record = parsed as LogRecord;
      } catch {
        record = undefined;
      }
      onLine(stream, line, record);
    }
  };
}
