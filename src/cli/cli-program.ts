import { Command, Option } from "commander";
import { AUTH_TYPES } from "./cli-principal.js";
import { diagnoseCommand, invokeCommand, statusCommand, sweepCommand } from "./function-commands.js";
import { addLocalOption } from "./local-session.js";
import { objectCommand } from "./object-command.js";
import { retryCommand } from "./retry-command.js";
import { rotateCommand } from "./rotate-command.js";
import { runCommand } from "./run-command.js";

const EXAMPLES = `
Authentication is the \`oci\` CLI's: ~/.oci/config (--config-file, --profile, --region, or
OCI_CLI_CONFIG_FILE, OCI_CLI_PROFILE, OCI_CLI_REGION), or --auth security_token|instance_principal|
resource_principal. REENCRYPT_OBJECTSTORAGE_ENDPOINT, REENCRYPT_KMS_VAULT_ENDPOINT,
REENCRYPT_SECRETS_ENDPOINT and REENCRYPT_FUNCTIONS_ENDPOINT override endpoints as for the function.

Exit codes: 0 done · 1 failures (some object versions, the job, or a service call) · 2 bad flags,
input or configuration (nothing was called) · 130 interrupted (checkpoint written; --resume).

Examples:
  $ oci-reencrypt object --bucket-name invoices --name 2024/a.pdf --kms-key-id ocid1.key.oc1..aaaa
  $ oci-reencrypt run --bucket-name logs --all-versions --report logs.csv
  $ oci-reencrypt rotate --key-id ocid1.key.oc1..aaaa --compartment-id ocid1.compartment.oc1..bbbb
  $ oci-reencrypt status <jobId> --function-id ocid1.fnfunc.oc1..cccc
  $ oci-reencrypt <command> --help`;

/** The whole command tree; main.ts runs it. */
export function createProgram(version: string): Command {
  const program = new Command("oci-reencrypt")
    .description("Re-encrypt Oracle Cloud Object Storage objects from a terminal, with the engine of the oci-reencrypt function, and control the deployed function's jobs.")
    .version(version, "-v, --version", "print the version")
    .helpOption("-h, --help", "show help (every command has its own, with examples)")
    .addOption(new Option("--config-file <file>", "OCI config file (default ~/.oci/config)").env("OCI_CLI_CONFIG_FILE"))
    .addOption(new Option("--profile <name>", "profile in the config file (default DEFAULT)").env("OCI_CLI_PROFILE"))
    .addOption(new Option("--region <region>", "region, overriding the profile's (e.g. eu-frankfurt-1)").env("OCI_CLI_REGION"))
    .addOption(new Option("--auth <type>", "how to authenticate (default api_key)").choices(AUTH_TYPES).env("OCI_CLI_AUTH"))
    .addOption(new Option("--endpoint <url>", "the service endpoint of this command (Object Storage; Functions for invoke/status/sweep/diagnose)"))
    .addOption(new Option("--output <format>", "the answer on stdout: json (default) or table").choices(["json", "table"]))
    .option("--debug", "log every SDK and engine line (JSON) on stderr")
    .configureHelp({ showGlobalOptions: true, sortSubcommands: false })
    .showHelpAfterError("(add --help for usage and examples)")
    .exitOverride()
    .addHelpText("after", EXAMPLES);
  addLocalOption(program);
  for (const make of [objectCommand, runCommand, rotateCommand, retryCommand, invokeCommand, statusCommand, sweepCommand, diagnoseCommand]) {
    const sub = make();
    sub.copyInheritedSettings(program);
    program.addCommand(sub);
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
