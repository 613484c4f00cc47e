import { Command } from "commander";
import { KeyOcidSchema } from "../contract/ocid.js";
import { ExitCode, usageError } from "./cli-error.js";
import type { GlobalOptions } from "./cli-services.js";
import { addTargetOptions, checkAnswer, openTarget } from "./function-commands.js";
import type { TargetFlags } from "./function-target.js";
import { printResult } from "./render-output.js";

const EXAMPLES = `
"May I delete key version V?", answered by the deployed function from its own records: for every
bucket on the key and every rule scope of it, the newest job that re-encrypted it completely and
the key version it re-wrapped to; for every older version, "none known" (every scope re-wrapped
past it) or "possible" (with the scopes that make it so). Exit 1 when any older version is
"possible".

Examples:
  $ oci-reencrypt coverage --key-id ocid1.key.oc1..aaaa --function-id ocid1.fnfunc.oc1..bbbb --output table
  $ oci-reencrypt coverage --key-id ocid1.key.oc1..aaaa --local --query 'versions[?verdict==\`possible\`].id'`;

interface CoverageFlags extends TargetFlags {
  keyId?: string;
  vaultId?: string;
}

/** `{"coverage": {"keyId"}}` by InvokeFunction (direct only: the gateway refuses it). */
export function coverageCommand(): Command {
  const cmd = new Command("coverage")
    .summary("may a key version be deleted? what the function's records say of every scope of a key")
    .description('Send {"coverage": {"keyId": …}} to the deployed function by InvokeFunction: for each older version of the key, "none known" or "possible" with the scopes that make it so, from the function\'s own records.')
    .requiredOption("--key-id <ocid>", "the Vault key")
    .option("--vault-id <ocid>", "the key's vault (default: searched in the function's compartments)")
    .addHelpText("after", EXAMPLES);
  return addTargetOptions(cmd, { gateway: false }).action(async function (this: Command) {
    const f = this.opts<CoverageFlags>();
    const globals = this.optsWithGlobals<GlobalOptions>();
    if (!KeyOcidSchema.safeParse(f.keyId).success) throw usageError(`--key-id: ${f.keyId ?? ""} is not a key OCID (ocid1.key.…)`);
    if (f.vaultId !== undefined && !f.vaultId.startsWith("ocid1.vault.")) throw usageError(`--vault-id: ${f.vaultId} is not a vault OCID (ocid1.vault.…)`);
    const target = await openTarget(f, globals, { directOnly: true, what: "coverage" });
    const answer = checkAnswer(await target.send({ coverage: { keyId: f.keyId, ...(f.vaultId ? { vaultId: f.vaultId } : {}) } }));
    const c = (answer["coverage"] ?? answer) as { versions?: { verdict?: string }[] };
    printResult(c as Record<string, unknown>, globals.output ?? "json");
    process.exitCode = (c.versions ?? []).some((v) => v.verdict === "possible") ? ExitCode.failures : ExitCode.done;
  });
}
