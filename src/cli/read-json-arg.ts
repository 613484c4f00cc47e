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

/** oci-cli's string_utils.underscore: camelCase, kebab-case and snake_case all become snake_case. */
export function underscore(word: string): string {
  return word
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1_$2")
    .replace(/([a-z\d])([A-Z])/g, "$1_$2")
    .replace(/-/g, "_")
    .toLowerCase();
}

/**
 * A `--from-json` object's top-level keys as oci-cli maps them to a command's parameters
 * (json_skeleton_utils.cli_json_input_callback): each key is underscored (`bucketName`,
 * `bucket-name` and `bucket_name` alike) and matched to a parameter by its name or one of its
 * option names (`bn`, `ns`, `on`, `name`, `namespace`); when a key and its alias both appear, the
 * later one wins; a null value means the parameter is absent. Unlike oci-cli, which ignores them,
 * an unknown key is refused: a typo must not silently change what a command does.
 *
 * `names` maps every underscored name and alias to the parameter it sets.
 */
export function jsonInputFields(json: Record<string, unknown>, names: ReadonlyMap<string, string>, flag = "--from-json"): Map<string, unknown> {
  const out = new Map<string, unknown>();
  for (const [key, value] of Object.entries(json)) {
    const param = names.get(underscore(key));
    if (param === undefined) {
      const known = [...new Set(names.values())].join(", ");
      throw usageError(`${flag} ${key}: unknown field (this command takes ${known}, in camelCase, kebab-case or snake_case)`);
    }
    // Delete first: the parameter takes the position of the key that set it last.
    out.delete(param);
    out.set(param, value);
  }
  for (const [param, value] of out) if (value === null) out.delete(param);
  return out;
}
