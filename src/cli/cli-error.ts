/** The CLI's exit codes; docs/cli.md ("Exit codes") documents the same table. */
export const ExitCode = {
  /** Everything asked for was done (or, for a dry run, listed). */
  done: 0,
  /** Some object versions failed, the job failed, or a service call failed. */
  failures: 1,
  /** Bad flags or input, missing or unreadable configuration: nothing was called. */
  usage: 2,
  /** Stopped by Ctrl-C (SIGINT) or SIGTERM after writing the checkpoint: `--resume` continues. */
  interrupted: 130,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

/** An error the CLI prints as one line (no stack) and exits with. */
export class CliError extends Error {
  readonly exitCode: ExitCode;
  constructor(message: string, exitCode: ExitCode = ExitCode.usage, options?: { cause?: unknown }) {
    super(message, options);
    this.name = "CliError";
    this.exitCode = exitCode;
  }
}

export const usageError = (message: string): CliError => new CliError(message, ExitCode.usage);

export const failure = (message: string, cause?: unknown): CliError => new CliError(message, ExitCode.failures, cause === undefined ? undefined : { cause });
