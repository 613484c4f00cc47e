import { readFileSync } from "node:fs";
import { usageError } from "./cli-error.js";

/**
 * A JSON argument as the OCI CLI takes `--from-json`: inline JSON, or `file://path` to read it from
 * a file. A bare path that exists is read too (`--targets body.json`).
 */
export function readJsonArg(value: string, flag: string, o: { barePath?: boolean } = {}): unknown {
  let text = value;
  let from = "";
  const trimmed = value.trim();
  const path = trimmed.startsWith("file://") ? trimmed.slice("file://".length) : o.barePath && !/^[[{]/.test(trimmed) ? trimmed : undefined;
  if (path !== undefined) {
    try {
      text = readFileSync(path, "utf8");
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      throw usageError(`${flag} ${path}: ${code === "ENOENT" ? "no such file" : (code ?? "cannot be read")}`);
    }
    from = ` (${path})`;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    const why = error instanceof Error ? error.message.split("\n")[0] : "invalid";
    throw usageError(`${flag}${from}: not valid JSON: ${why}`);
  }
}
