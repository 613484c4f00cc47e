import { existsSync, readFileSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { usageError } from "./cli-error.js";

// The `oci` CLI's own configuration file (oci_cli_rc, `--cli-rc-file`): parameter defaults per
// profile, the default profile, and named queries, read as oci-cli's cli_root.py and cli_util.py
// read them (Python configparser semantics, no interpolation).

export const RC_DEFAULT_LOCATION = "~/.oci/oci_cli_rc";
export const RC_FALLBACK_LOCATION = "~/.oci/cli-defaults";
const SETTINGS = "OCI_CLI_SETTINGS";
const CANNED_QUERIES = "OCI_CLI_CANNED_QUERIES";
/** oci-cli's DEFAULT_FILE_CONVERT_PARAM_TRUTHY_VALUES. */
const TRUTHY = new Set(["1", "y", "t", "yes", "true", "on"]);

type Sections = Map<string, Map<string, string>>;

/** `~` and `$VAR`/`${VAR}` expanded, as os.path.expanduser and os.path.expandvars do (unknown variables stay). */
export function expandPath(p: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  // As os.path.expanduser: HOME first.
  const home = p === "~" || p.startsWith("~/") ? (env["HOME"] || homedir()) + p.slice(1) : p;
  return expandVars(home, env);
}

export function expandVars(text: string, env: Readonly<Record<string, string | undefined>> = process.env): string {
  return text.replace(/\$(\w+)|\$\{([^}]+)\}/g, (all, a: string | undefined, b: string | undefined) => env[(a ?? b) as string] ?? all);
}

/**
 * An INI file as Python's configparser reads it: `[section]`, `key = value` or `key: value`,
 * keys lower-cased, `#`/`;` comment lines, indented lines continuing the value before them.
 */
export function parseIni(text: string): Sections {
  const sections: Sections = new Map();
  let current: Map<string, string> | undefined;
  let lastKey: string | undefined;
  for (const raw of text.split(/\r?\n/)) {
    if (/^\s*[#;]/.test(raw) || raw.trim() === "") {
      if (raw.trim() === "") lastKey = undefined;
      continue;
    }
    if (/^\s/.test(raw) && current !== undefined && lastKey !== undefined) {
      current.set(lastKey, `${current.get(lastKey) ?? ""}\n${raw.trim()}`);
      continue;
    }
    const section = /^\[([^\]]+)\]\s*$/.exec(raw.trim());
    if (section) {
      const name = section[1] as string;
      current = sections.get(name) ?? new Map();
      sections.set(name, current);
      lastKey = undefined;
      continue;
    }
    const kv = /^([^=:]+?)\s*[=:]\s*(.*)$/.exec(raw.trim());
    if (!kv || current === undefined) continue;
    lastKey = (kv[1] as string).toLowerCase();
    current.set(lastKey, (kv[2] as string).trim());
  }
  return sections;
}

export interface CliRc {
  /** The file read, if any. */
  path: string | undefined;
  /** [OCI_CLI_SETTINGS] default_profile. */
  defaultProfile: string | undefined;
  /** [OCI_CLI_CANNED_QUERIES]: `--query query://<name>`. */
  cannedQueries: ReadonlyMap<string, string>;
  /** The profile's section with [DEFAULT]'s keys under it (configparser's items(profile)). */
  defaultsFor(profile: string): ReadonlyMap<string, string>;
}

const EMPTY_RC: CliRc = { path: undefined, defaultProfile: undefined, cannedQueries: new Map(), defaultsFor: () => new Map() };

/**
 * The rc file oci-cli would read: `--cli-rc-file` if that file exists, else OCI_CLI_RC_FILE, else
 * ~/.oci/oci_cli_rc, else ~/.oci/cli-defaults; none of them is fine (no defaults).
 */
export function loadCliRc(explicit: string | undefined, env: Readonly<Record<string, string | undefined>> = process.env): CliRc {
  const candidates = [explicit, env["OCI_CLI_RC_FILE"], RC_DEFAULT_LOCATION, RC_FALLBACK_LOCATION].filter((c): c is string => c !== undefined && c !== "");
  const path = candidates.map((c) => expandPath(c, env)).find((p) => existsSync(p) && statSync(p).isFile());
  if (path === undefined) return EMPTY_RC;
  let sections: Sections;
  try {
    sections = parseIni(readFileSync(path, "utf8"));
  } catch (error) {
    throw usageError(`--cli-rc-file ${path}: cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  const defaults = sections.get("DEFAULT") ?? new Map<string, string>();
  return {
    path,
    defaultProfile: sections.get(SETTINGS)?.get("default_profile"),
    cannedQueries: sections.get(CANNED_QUERIES) ?? new Map(),
    defaultsFor: (profile) => {
      if (profile === "DEFAULT") return defaults;
      const own = sections.get(profile);
      return own === undefined ? new Map() : new Map([...defaults, ...own]);
    },
  };
}

/**
 * A parameter's default from the rc file, most specific key first: for `oci os object reencrypt`
 * and `--bucket-name` (also `-bn`), `os.object.reencrypt.bucket-name`, `os.object.reencrypt.bn`,
 * `os.object.bucket-name`, … down to `bucket-name`, `bn` (oci-cli's parameter lookup hierarchy).
 */
export function rcDefault(defaults: ReadonlyMap<string, string>, commandPath: readonly string[], names: readonly string[], env: Readonly<Record<string, string | undefined>> = process.env): string | undefined {
  for (let depth = commandPath.length; depth >= 0; depth--) {
    const prefix = commandPath.slice(0, depth).join(".");
    for (const name of names) {
      const v = defaults.get(prefix === "" ? name : `${prefix}.${name}`);
      if (v !== undefined) return expandVars(v, env);
    }
  }
  return undefined;
}

export const rcBoolean = (v: string): boolean => TRUTHY.has(v.trim().toLowerCase());

let active: { rc: CliRc; profile: string } | undefined;

/** The rc file and profile of this invocation (set once the global options are known). */
export function setActiveRc(rc: CliRc, profile: string): void {
  active = { rc, profile };
}

export function activeRc(): CliRc {
  return active?.rc ?? EMPTY_RC;
}

/** Parameter defaults of the active profile for a command (`["os", "object", "reencrypt"]`). */
export function rcLookup(commandPath: readonly string[]): (names: readonly string[]) => string | undefined {
  const defaults = active ? active.rc.defaultsFor(active.profile) : new Map<string, string>();
  return (names) => rcDefault(defaults, commandPath, names);
}
