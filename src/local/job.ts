// `npm run job -- <jobId>`: see src/local/job/job-cli.ts.
import { runJobCli } from "./job/job-cli.js";

// `npm run -s job -- <id> --report | head` closes the pipe early: that is not an error.
process.stdout.on("error", (error: NodeJS.ErrnoException) => {
  if (error.code === "EPIPE") process.exit(0);
  throw error;
});

runJobCli(process.argv.slice(2), {
  out: (line) => void process.stdout.write(`${line}\n`),
  err: (line) => void process.stderr.write(`${line}\n`),
  env: process.env,
}).then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`job: ${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  },
);
