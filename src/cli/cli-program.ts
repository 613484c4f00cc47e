import { Command, Option } from "commander";
import { bucketCommand } from "./bucket-command.js";
import { CliError, ExitCode, usageError } from "./cli-error.js";
import { AUTH_TYPES } from "./cli-principal.js";
import { loadCliRc, rcBoolean, rcDefault, setActiveRc } from "./cli-rc.js";
import { diagnoseCommand, invokeCommand, statusCommand, sweepCommand } from "./function-commands.js";
import { addLocalOption } from "./local-session.js";
import { commandSkeleton, jsonInputOf, paramSkeleton } from "./json-skeleton.js";
import { objectCommand } from "./object-command.js";
import { setOutputQuery } from "./query-output.js";
import { retryCommand } from "./retry-command.js";
import { coverageCommand } from "./coverage-command.js";
import { rotateCommand } from "./rotate-command.js";
import { runCommand } from "./run-command.js";

const EXAMPLES = `
Authentication is the \`oci\` CLI's: ~/.oci/config (--config-file, --profile, --region, or
OCI_CLI_CONFIG_FILE, OCI_CLI_PROFILE, OCI_CLI_REGION; OCI_CLI_USER, OCI_CLI_TENANCY,
OCI_CLI_FINGERPRINT, OCI_CLI_KEY_FILE or OCI_CLI_KEY_CONTENT replace the profile's keys), or
--auth security_token|instance_principal|instance_obo_user|resource_principal|oke_workload_identity.
Parameter defaults and the default profile come from ~/.oci/oci_cli_rc (--cli-rc-file).
--endpoint (OCI_CLI_ENDPOINT) sets the command's endpoint; REENCRYPT_OBJECTSTORAGE_ENDPOINT,
REENCRYPT_KMS_VAULT_ENDPOINT, REENCRYPT_SECRETS_ENDPOINT and REENCRYPT_FUNCTIONS_ENDPOINT set each
service's, as for the function. Every request carries an opc-client-request-id (--request-id).

Exit codes: 0 done · 1 failures (some object versions, the job, or a service call) · 2 bad flags,
input or configuration (nothing was called), or a wait that timed out · 130 interrupted (checkpoint
written; --resume).

Examples:
  $ oci-reencrypt object --bucket-name invoices --name 2024/a.pdf --kms-key-id ocid1.key.oc1..aaaa
  $ oci-reencrypt bucket reencrypt -bn invoices --wait-for-state COMPLETED
  $ oci-reencrypt run --bucket-name logs --all-versions --report logs.csv
  $ oci-reencrypt rotate --key-id ocid1.key.oc1..aaaa --compartment-id ocid1.compartment.oc1..bbbb
  $ oci-reencrypt status <jobId> --function-id ocid1.fnfunc.oc1..cccc --query counts --output table
  $ oci-reencrypt <command> --help`;

/** The `oci` CLI's global options that oci-reencrypt refuses, and why (docs/cli.md lists them too). */
export const UNSUPPORTED_GLOBALS: Readonly<Record<string, { flags: string; why: string }>> = {
  realmSpecificEndpoint: { flags: "--realm-specific-endpoint", why: "realm-specific endpoint templates are not built here: pass the endpoint with --endpoint (or OCI_CLI_ENDPOINT)" },
  connectionTimeout: { flags: "--connection-timeout <seconds>", why: "calls have no per-call timeouts here; failed calls follow the engine's retry policy (6 attempts, backoff up to 8 s)" },
  readTimeout: { flags: "--read-timeout <seconds>", why: "calls have no per-call timeouts here; failed calls follow the engine's retry policy (6 attempts, backoff up to 8 s)" },
  enableDualStack: { flags: "--enable-dual-stack", why: "dual-stack endpoints are not built here: pass the endpoint with --endpoint (or OCI_CLI_ENDPOINT)" },
  federationEndpoint: { flags: "--federation-endpoint <url>", why: "instance principals use the SDK's own federation endpoint" },
  authPurpose: { flags: "--auth-purpose <purpose>", why: "instance principals are built for the default purpose only" },
  proxy: { flags: "--proxy <url>", why: "no HTTP proxy support: run where the OCI endpoints are reachable" },
  retry: { flags: "--no-retry", why: "retries are the engine's, shared with the function (429, 409 IncorrectState, 5xx and transport errors; 6 attempts, backoff up to 8 s)" },
  maxRetries: { flags: "--max-retries <n>", why: "retries are the engine's, shared with the function (429, 409 IncorrectState, 5xx and transport errors; 6 attempts, backoff up to 8 s)" },
  cliAutoPrompt: { flags: "-i, --cli-auto-prompt", why: "there is no interactive mode: every command has --help with examples" },
  enablePropagation: { flags: "--enable-propagation <bool>", why: "every request carries the opc-client-request-id already (--request-id, or one generated per invocation)" },
  releaseInfo: { flags: "--release-info", why: "nothing is looked up outside OCI: --version prints this version" },
  latestVersion: { flags: "--latest-version", why: "nothing is looked up outside OCI: --version prints this version" },
};

/** Each global option's hidden alias, as the `oci` CLI names them. */
const GLOBAL_ALIASES: Readonly<Record<string, string>> = { defaultsFile: "cliRcFile", opcRequestId: "requestId", opcClientRequestId: "requestId" };

/** Where oci_cli_rc keeps the defaults of a command: the `oci` command it stands for. */
function rcPathOf(cmd: Command): string[] {
  if (cmd.name() === "object") return ["os", "object", "reencrypt"];
  if (cmd.name() === "reencrypt" && cmd.parent?.name() === "bucket") return ["os", "bucket", "reencrypt"];
  return [cmd.name()];
}

/**
 * Before any command runs: the global options' aliases, the refused `oci` options, then
 * oci_cli_rc (the default profile, and defaults for the global options neither given nor in the
 * environment), --query checked, and --generate-*-json-input answered without running the command.
 */
function beforeAction(program: Command, action: Command): void {
  for (const [alias, to] of Object.entries(GLOBAL_ALIASES)) {
    const v = program.getOptionValue(alias) as unknown;
    if (v !== undefined && program.getOptionValueSource(to) === undefined) program.setOptionValueWithSource(to, v, "cli");
  }
  for (const [attr, u] of Object.entries(UNSUPPORTED_GLOBALS)) {
    if (program.getOptionValueSource(attr) === "cli") throw usageError(`${u.flags.replace(/ <.*$/, "").replace(/^-i, /, "")}: not supported by oci-reencrypt: ${u.why}`);
  }
  const rc = loadCliRc(program.getOptionValue("cliRcFile") as string | undefined);
  const given = (attr: string): boolean => {
    const source = program.getOptionValueSource(attr);
    return source === "cli" || source === "env";
  };
  if (!given("profile") && rc.defaultProfile !== undefined) program.setOptionValueWithSource("profile", rc.defaultProfile, "config");
  const profile = (program.getOptionValue("profile") as string | undefined) ?? "DEFAULT";
  setActiveRc(rc, profile);
  const defaults = rc.defaultsFor(profile);
  const path = rcPathOf(action);
  const fromRc = (attr: string, names: string[], parse: (v: string) => unknown = (v) => v): void => {
    if (given(attr)) return;
    const v = rcDefault(defaults, path, names);
    if (v !== undefined) program.setOptionValueWithSource(attr, parse(v), "config");
  };
  const choice = (name: string, choices: readonly string[]) => (v: string) => {
    if (!choices.includes(v)) throw usageError(`oci_cli_rc ${rc.path ?? ""} [${profile}] ${name} = ${v}: not one of ${choices.join(", ")}`);
    return v;
  };
  fromRc("region", ["region"]);
  fromRc("endpoint", ["endpoint"]);
  fromRc("certBundle", ["cert-bundle", "cert_bundle"]);
  fromRc("output", ["output"], choice("output", ["json", "table"]));
  fromRc("query", ["query"]);
  fromRc("auth", ["auth"], choice("auth", AUTH_TYPES));
  fromRc("debug", ["debug"], rcBoolean);
  fromRc("rawOutput", ["raw_output", "raw-output"], rcBoolean);
  fromRc("generateParamJsonInput", ["generate-param-json-input"]);
  fromRc("generateFullCommandJsonInput", ["generate-full-command-json-input"], rcBoolean);

  const g = program.opts<{ query?: string; rawOutput?: boolean; generateFullCommandJsonInput?: boolean; generateParamJsonInput?: string }>();
  setOutputQuery(g, rc);
  if (g.generateFullCommandJsonInput !== true && g.generateParamJsonInput === undefined) return;
  if (g.generateFullCommandJsonInput === true && g.generateParamJsonInput !== undefined) {
    throw usageError("Cannot specify both the --generate-full-command-json-input and --generate-param-json-input parameters");
  }
  const complex = jsonInputOf(action);
  if (complex === undefined) throw usageError(`--generate-full-command-json-input, --generate-param-json-input: ${action.name()} takes no --from-json (object and bucket reencrypt do)`);
  const text = g.generateParamJsonInput !== undefined ? paramSkeleton(g.generateParamJsonInput, complex) : JSON.stringify(commandSkeleton(action), null, 2) + "\n";
  if (text !== undefined) process.stdout.write(text);
  // Printed: the command itself does not run.
  throw new CliError("", ExitCode.done);
}

function addGlobalOptions(program: Command): Command {
  const hidden = (flags: string, description = ""): Option => new Option(flags, description).hideHelp();
  program
    .addOption(new Option("--config-file <file>", "OCI config file (default ~/.oci/config)").env("OCI_CLI_CONFIG_FILE"))
    .addOption(new Option("--profile <name>", "profile in the config file (default DEFAULT, or oci_cli_rc's default_profile)").env("OCI_CLI_PROFILE"))
    .addOption(new Option("--cli-rc-file <file>", "the OCI CLI's own config: parameter defaults, default_profile, named queries (default ~/.oci/oci_cli_rc)"))
    .addOption(hidden("--defaults-file <file>"))
    .addOption(new Option("--request-id <id>", "the opc-client-request-id sent on every request (default: one generated per invocation)"))
    .addOption(hidden("--opc-request-id <id>"))
    .addOption(hidden("--opc-client-request-id <id>"))
    .addOption(new Option("--region <region>", "region, overriding the profile's (e.g. eu-frankfurt-1)").env("OCI_CLI_REGION"))
    .addOption(new Option("--endpoint <url>", "the endpoint of this command's service (Object Storage; Functions for invoke/status/sweep/diagnose)").env("OCI_CLI_ENDPOINT"))
    .addOption(new Option("--cert-bundle <file>", "CA certificates (PEM) to verify the endpoints' TLS with, instead of the system's").env("OCI_CLI_CERT_BUNDLE"))
    .addOption(new Option("--output <format>", "the answer on stdout: json (default) or table").choices(["json", "table"]))
    .addOption(new Option("--query <jmespath>", "JMESPath query run on the answer before it is printed (or query://<name> from oci_cli_rc)"))
    .addOption(new Option("--raw-output", "a query's string result printed without quotes"))
    .addOption(new Option("--auth <type>", "how to authenticate (default api_key)").choices(AUTH_TYPES).env("OCI_CLI_AUTH"))
    .addOption(new Option("--generate-full-command-json-input", "print the command's --from-json input with example values, and stop"))
    .addOption(new Option("--generate-param-json-input <option>", "print the example JSON of one complex option, and stop"))
    .addOption(new Option("-d, --debug", "log every SDK and engine line (JSON) on stderr"));
  for (const u of Object.values(UNSUPPORTED_GLOBALS)) program.addOption(hidden(u.flags));
  return program;
}

/** The whole command tree; main.ts runs it. */
export function createProgram(version: string): Command {
  const program = new Command("oci-reencrypt")
    .description("Re-encrypt Oracle Cloud Object Storage objects from a terminal, with the engine of the oci-reencrypt function, and control the deployed function's jobs.")
    .version(version, "-v, --version", "print the version")
    .helpOption("-h, --help", "show help (also -?; every command has its own, with examples)");
  addGlobalOptions(program)
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError("(add --help for usage and examples)")
    .exitOverride()
    .addHelpText("after", EXAMPLES)
    .hook("preAction", (_this, action) => beforeAction(program, action));
  addLocalOption(program);
  const inherit = (c: Command): void => {
    c.copyInheritedSettings(c.parent ?? program);
    c.commands.forEach(inherit);
  };
  for (const make of [objectCommand, bucketCommand, runCommand, rotateCommand, retryCommand, invokeCommand, statusCommand, sweepCommand, diagnoseCommand, coverageCommand]) {
    const sub = make();
    program.addCommand(sub);
    inherit(sub);
  }
  return program;
}

/** Long options that take a value, across the tree: their next argument is never an option. */
export function valueOptions(program: Command): Set<string> {
  const out = new Set<string>();
  const walk = (c: Command): void => {
    for (const o of c.options) if ((o.required || o.optional) && o.long) out.add(o.long);
    c.commands.forEach(walk);
  };
  walk(program);
  return out;
}
