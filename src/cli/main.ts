// The operator CLI: `oci-reencrypt <command>`, bundled to dist/cli-main.cjs, which dist/cli.cjs
// (bin "oci-reencrypt", src/cli-loader.ts) runs with V8's code cache.
import { CommanderError } from "commander";
import packageJson from "../../package.json" with { type: "json" };
import { CliError, ExitCode } from "./cli-error.js";
import { createProgram, valueOptions } from "./cli-program.js";
import { expandOciShortFlags } from "./oci-short-flags.js";
import { escapeLines } from "./terminal-text.js";

async function main(argv: string[]): Promise<void> {
  const program = createProgram(packageJson.version);
  const args = expandOciShortFlags(argv.slice(2), valueOptions(program));
  try {
    await program.parseAsync(args, { from: "user" });
  } catch (error) {
    if (error instanceof CommanderError) {
      // Commander printed the message (and the help hint) already.
      const ok = error.code === "commander.helpDisplayed" || error.code === "commander.version";
      process.exitCode = ok ? ExitCode.done : ExitCode.usage;
      return;
    }
    if (error instanceof CliError) {
      // An empty message: already said (a service error's JSON, a generated skeleton).
      if (error.message !== "") process.stderr.write(`oci-reencrypt: ${escapeLines(error.message)}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`oci-reencrypt: unexpected error: ${escapeLines(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
    process.exitCode = ExitCode.failures;
  }
}

// A reader that stops early (`| head`) closes the pipe: the rest of the answer has nowhere to go.
// That is the reader's choice, not a failure of the command: end quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (error: NodeJS.ErrnoException) => {
    if (error.code === "EPIPE") process.exit(process.exitCode ?? ExitCode.done);
    throw error;
  });
}

void main(process.argv);
