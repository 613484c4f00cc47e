import type { Command, Option } from "commander";

// `--generate-full-command-json-input` and `--generate-param-json-input`, as oci-cli's
// json_skeleton_utils writes them: every long option of the command (aliases included, so a
// skeleton holds both `namespace` and `namespaceName`) camelCased, with an example value by type:
// "string", 0, true, "/path/to/file", "A|B|C" (["A|B|C"] when the option repeats); keys sorted.

export type SkeletonKind = "file" | "int" | "bool" | "multiple";

const kinds = new WeakMap<Option, SkeletonKind>();

/** Tags an option with the kind of value its skeleton entry shows (plain text otherwise). */
export function skeletonKind(option: Option, kind: SkeletonKind): Option {
  kinds.set(option, kind);
  return option;
}

/** Options that are never part of a command's JSON input. */
const NOT_INPUT = new Set(["--help", "--from-json", "--generate-full-command-json-input", "--generate-param-json-input"]);

/** oci-cli's camelize: `bucket-name` → `bucketName`. */
export const camelize = (name: string): string => name.replace(/[-_](.)/g, (_, c: string) => c.toUpperCase());

/** The JSON input a command takes, with example values (what --generate-full-command-json-input prints). */
export function commandSkeleton(cmd: Command, complex: Readonly<Record<string, unknown>> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const o of cmd.options) {
    if (o.hidden || o.long === undefined || NOT_INPUT.has(o.long)) continue;
    const key = camelize(o.long.slice(2));
    const kind = kinds.get(o);
    const choices = o.argChoices?.join("|");
    if (!o.required && !o.optional) out[key] = true;
    else if (kind === "file") out[key] = "/path/to/file";
    else if (kind === "int") out[key] = 0;
    else if (kind === "bool") out[key] = true;
    else if (choices !== undefined) out[key] = kind === "multiple" ? [choices] : choices;
    else out[key] = "string";
  }
  for (const [name, example] of Object.entries(complex)) out[camelize(name)] = example;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/**
 * `--generate-param-json-input <option>`: the example JSON of a complex parameter, or oci-cli's
 * note (on stderr) that the option takes no JSON. Returns what to print on stdout, if anything.
 */
export function paramSkeleton(option: string, complex: Readonly<Record<string, unknown>>): string | undefined {
  const name = option.replace(/^--/, "");
  const example = complex[name];
  if (example === undefined) {
    process.stderr.write(`Option ${option} is not a recognized complex type, so no example JSON can be produced. Invoke help for this command (--help/-h/-?) to see available documentation on this option\n`);
    return undefined;
  }
  return JSON.stringify(example, null, 2) + "\n";
}

const jsonCommands = new WeakMap<Command, Readonly<Record<string, unknown>>>();

/** Marks a command as taking --from-json; `complex` are the options --generate-param-json-input can describe. */
export function takesJsonInput(cmd: Command, complex: Readonly<Record<string, unknown>> = {}): Command {
  jsonCommands.set(cmd, complex);
  return cmd;
}

/** The complex options of a command that takes --from-json; undefined for one that does not. */
export const jsonInputOf = (cmd: Command): Readonly<Record<string, unknown>> | undefined => jsonCommands.get(cmd);
