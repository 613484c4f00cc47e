import type { Command } from "commander";
import { UNSUPPORTED_GLOBALS } from "./cli-program.js";
import { OCI_SHORT_FLAGS } from "./oci-short-flags.js";

// docs/cli.md's parity table, generated from the two command definitions: `oci`'s options as
// scripts/extract-oci-cli-options.mjs read them from oracle/oci-cli (test/fixtures/oci-cli/
// reencrypt-options.json) and ours from the commander tree. An official option is "same" when we
// take every one of its names and no note says otherwise; anything else needs a note here, and
// test/unit/cli-parity.test.ts fails on an official option that is neither.

export interface OfficialOption {
  names: string[];
  flag: boolean;
  multiple?: boolean;
  choices?: string[];
  type?: string;
}

export interface OfficialData {
  source: string;
  removedByExtension: Record<string, string[]>;
  commands: Record<string, OfficialOption[]>;
}

export type Scope = "global" | "os object reencrypt" | "os bucket reencrypt";

export interface ParityNote {
  status: "same" | "differs" | "missing";
  note: string;
}

const JS_SPEC = "jmespath 0.16.0, the JavaScript reference implementation of the same JMESPath specification as oci's Python jmespath";
const STRICT_JSON = "unknown keys are refused (exit 2; oci ignores them), so a typo cannot change what is re-encrypted";

/** Everything that is not simply the same, by the official option's first name. */
export const PARITY_NOTES: Readonly<Record<Scope, Readonly<Record<string, ParityNote>>>> = {
  global: {
    ...Object.fromEntries(Object.values(UNSUPPORTED_GLOBALS).map((u) => [u.flags.replace(/ <.*$/, "").replace(/^-i, --cli-auto-prompt$/, "-i"), { status: "missing", note: `refused (exit 2): ${u.why}` } as const])),
    "--profile": { status: "same", note: "also oci_cli_rc's default_profile" },
    "--cli-rc-file": {
      status: "differs",
      note: "reads default_profile, [OCI_CLI_CANNED_QUERIES] and the profile's defaults (`os.object.reencrypt.*`, `os.bucket.reencrypt.*`, `os.*`, top level, global options too); not [OCI_CLI_PARAM_ALIASES] or [OCI_CLI_COMMAND_ALIASES]",
    },
    "--opc-request-id": { status: "differs", note: "sent as opc-client-request-id on every request of the invocation; without it one id (oci's format) is generated per invocation, where oci makes one per call" },
    "--endpoint": { status: "differs", note: "the Object Storage endpoint (the Functions API's for invoke, status, sweep, diagnose); REENCRYPT_*_ENDPOINT set the other services" },
    "--output": { status: "differs", note: "`object` prints nothing on success unless --output is given (then the opc-request-id); answers keep their field order (oci sorts keys)" },
    "--query": { status: "same", note: JS_SPEC },
    "--generate-full-command-json-input": { status: "differs", note: "for `object` and `bucket reencrypt` (the commands with --from-json); `object`'s skeleton also holds our dryRun" },
    "--generate-param-json-input": { status: "differs", note: "describes sse-customer-key and source-sse-customer-key of `object` (our --from-json takes the API's key form); any other option gets oci's note" },
    "-d": { status: "differs", note: "every SDK and engine line as JSON on stderr, not Python's request logging" },
    "--auth": { status: "same", note: "all six types; oke_workload_identity also reads KUBERNETES_SERVICE_PORT_PROXYMUX (the TypeScript SDK's; default 12250)" },
  },
  "os object reencrypt": {
    "--namespace-name": { status: "same", note: "looked up with GetNamespace when omitted, as oci does (same message when that fails)" },
    "--bucket-name": { status: "same", note: "checked as OCI names buckets before any call" },
    "--kms-key-id": { status: "differs", note: "must be a key OCID, and not with --encryption-key-file: said before any call (oci leaves both to the service)" },
    "--from-json": { status: "differs", note: `${STRICT_JSON}; also takes sseCustomerKey/sourceSseCustomerKey in the API's form; keys in any case form, aliases, null as absent, the later of a key and its alias wins, as oci` },
    "--encryption-key-file": { status: "differs", note: "refused before any call unless it holds the base64 of 32 bytes (oci sends what the file holds); `-` reads standard input, as oci" },
    "--source-encryption-key-file": { status: "differs", note: "as --encryption-key-file; only one of the two may be `-`" },
  },
  "os bucket reencrypt": {
    "--namespace-name": { status: "same", note: "looked up with GetNamespace when omitted, as oci does" },
    "--wait-for-state": { status: "differs", note: "a work request that ends in a state not waited for stops the wait (exit 1): oci waits out --max-wait-seconds; a progress bar on a terminal meanwhile" },
    "--from-json": { status: "differs", note: STRICT_JSON },
  },
};

/** Our command for each scope. */
export function ourCommand(program: Command, scope: Scope): Command {
  if (scope === "global") return program;
  const path = scope === "os object reencrypt" ? ["object"] : ["bucket", "reencrypt"];
  let c = program;
  for (const name of path) {
    const next = c.commands.find((x) => x.name() === name);
    if (!next) throw new Error(`no command ${path.join(" ")}`);
    c = next;
  }
  return c;
}

const REFUSED = new Set(Object.values(UNSUPPORTED_GLOBALS).flatMap((u) => u.flags.replace(/ <.*$/, "").split(", ")));

/** Every option name a command takes (refused `oci` globals excluded), with -ns/-bn/-on/-? and help. */
export function namesTaken(cmd: Command): Set<string> {
  const out = new Set<string>(["-h", "--help", "-?"]);
  for (const o of cmd.options) {
    for (const n of [o.long, o.short]) if (n !== undefined && !REFUSED.has(n)) out.add(n);
    // commander stores --no-x as long "--no-x".
  }
  for (const [short, long] of Object.entries(OCI_SHORT_FLAGS)) if (out.has(long)) out.add(short);
  return out;
}

export interface ParityRow {
  official: string[];
  ours: string[];
  status: ParityNote["status"];
  note: string;
}

export function parityRows(official: OfficialData, program: Command, scope: Scope): ParityRow[] {
  const taken = namesTaken(ourCommand(program, scope));
  return (official.commands[scope] ?? []).map((o) => {
    const ours = o.names.filter((n) => taken.has(n));
    const note = PARITY_NOTES[scope][o.names[0] as string];
    const all = ours.length === o.names.length;
    return { official: o.names, ours, status: note?.status ?? (all ? "same" : "missing"), note: note?.note ?? "" };
  });
}

/** What makes the table wrong: an official option neither taken nor noted, a "same" we do not take, a note for no official option. */
export function parityProblems(official: OfficialData, program: Command): string[] {
  const problems: string[] = [];
  for (const scope of Object.keys(PARITY_NOTES) as Scope[]) {
    const rows = parityRows(official, program, scope);
    for (const r of rows) {
      const name = `${scope}: ${r.official.join(", ")}`;
      const noted = PARITY_NOTES[scope][r.official[0] as string] !== undefined;
      if (r.ours.length < r.official.length && !noted) problems.push(`${name}: not taken by oci-reencrypt (${r.official.filter((n) => !r.ours.includes(n)).join(", ")}) and not listed as a difference`);
      if (r.status === "same" && r.ours.length < r.official.length) problems.push(`${name}: noted "same" but oci-reencrypt does not take ${r.official.filter((n) => !r.ours.includes(n)).join(", ")}`);
      if (r.status === "missing" && r.ours.length > 0) problems.push(`${name}: noted "missing" but oci-reencrypt takes ${r.ours.join(", ")}`);
    }
    for (const key of Object.keys(PARITY_NOTES[scope])) {
      if (!rows.some((r) => r.official[0] === key)) problems.push(`${scope}: a note for ${key}, which oci does not have`);
    }
  }
  return problems;
}

const code = (names: readonly string[]): string => (names.length === 0 ? "—" : names.map((n) => `\`${n}\``).join(", "));
const cell = (s: string): string => s.replace(/\|/g, "\\|");

/** The tables of docs/cli.md: one per scope, then the options only oci-reencrypt has. */
export function parityMarkdown(official: OfficialData, program: Command): string {
  const titles: Record<Scope, string> = { global: "global options (`oci …`, `oci-reencrypt …`)", "os object reencrypt": "`oci os object reencrypt` and `oci-reencrypt object`", "os bucket reencrypt": "`oci os bucket reencrypt` and `oci-reencrypt bucket reencrypt`" };
  const parts = [`Generated from ${official.source} (test/fixtures/oci-cli/reencrypt-options.json) and our commander definitions.`];
  for (const scope of Object.keys(titles) as Scope[]) {
    const rows = parityRows(official, program, scope);
    parts.push(`**${titles[scope]}**\n\n| \`oci\` | \`oci-reencrypt\` | | notes |\n| --- | --- | --- | --- |\n${rows.map((r) => `| ${code(r.official)} | ${code(r.ours)} | ${r.status} | ${cell(r.note)} |`).join("\n")}`);
    const officialNames = new Set(rows.flatMap((r) => r.official));
    const cmd = ourCommand(program, scope);
    const extra = cmd.options.filter((o) => !o.hidden && o.long !== undefined && !officialNames.has(o.long)).map((o) => o.long as string);
    if (extra.length > 0) parts.push(`Only in \`oci-reencrypt\`${scope === "global" ? "" : ` (${scope === "os object reencrypt" ? "object" : "bucket reencrypt"})`}: ${code(extra)}.`);
  }
  const removed = Object.entries(official.removedByExtension).map(([scope, names]) => `\`oci ${scope}\` has no ${code(names)} (its extension replaces them with the key file options); our \`--from-json\` takes them as \`sseCustomerKey\`/\`sourceSseCustomerKey\`.`);
  parts.push(...removed);
  return parts.join("\n\n") + "\n";
}
