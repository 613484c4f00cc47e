import { spawn } from "node:child_process";
import { CLI } from "./cli-helpers.js";

// The built CLI on a real pseudo-terminal, as an operator runs it: util-linux `script` allocates
// the pty (stdin, stdout and stderr are all the terminal, isTTY true), and what we write to its
// stdin is typed at that terminal, so "\x03" is a Ctrl-C that the line discipline turns into
// SIGINT for the CLI. `script -e` exits with the CLI's own exit code.
//
// Why `script` and not node-pty: node-pty is a native addon whose build needs Node's headers
// (node-gyp downloads them; only the npm registry is reachable here) and ships no Linux prebuilds;
// `script` is in util-linux on every Linux CI image (2.38.1 here), with nothing to install.

export interface PtyRun {
  /** Everything the terminal received (stdout and stderr interleaved, \r\n line ends, escapes raw). */
  output(): string;
  /** Types at the terminal. */
  type(text: string): void;
  /** The CLI's exit code, and when the process ended (epoch ms). */
  done: Promise<{ code: number | null; endedAt: number }>;
  kill(): void;
}

const quote = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export function runInPty(args: string[], o: { env: Record<string, string | undefined>; cwd: string; cols?: number; rows?: number }): PtyRun {
  const command = `stty cols ${o.cols ?? 112} rows ${o.rows ?? 30} 2>/dev/null; exec ${quote(process.execPath)} ${[CLI, ...args].map(quote).join(" ")}`;
  const child = spawn("script", ["-qfec", command, "/dev/null"], {
    cwd: o.cwd,
    env: { PATH: process.env["PATH"], SHELL: "/bin/sh", TERM: "xterm-256color", ...o.env } as NodeJS.ProcessEnv,
    stdio: ["pipe", "pipe", "pipe"],
  });
  let out = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (out += d));
  const done = new Promise<{ code: number | null; endedAt: number }>((resolve) => child.on("close", (code) => resolve({ code, endedAt: Date.now() })));
  return {
    output: () => out,
    type: (text) => void child.stdin.write(text),
    done,
    kill: () => void child.kill("SIGKILL"),
  };
}

/** The terminal's text without its control sequences (cursor moves, colours), for reading. */
export const plainText = (raw: string): string =>
  raw
    .replace(/\u001b\[[0-9;?]*[A-Za-z]/g, "")
    .replace(/\u001b[78]/g, "")
    .replace(/\r/g, "");
