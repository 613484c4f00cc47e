import { spawn, type ChildProcess } from "node:child_process";
import { lstat, mkdtemp, rm } from "node:fs/promises";
import { rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { postCall } from "./call-over-socket.js";
import type { InvokeRequest, InvokeResult } from "./invoke-types.js";

export type { InvokeRequest, InvokeResult } from "./invoke-types.js";

export interface StartFunctionOptions {
  bundlePath: string;
  /** Merged over a minimal env (PATH, HOME) and the FN_* variables; the parent's env is not inherited. */
  env: Record<string, string>;
  fnId?: string;
  appId?: string;
  memoryMb?: number;
  /** Default 5000. */
  readyTimeoutMs?: number;
  /** Sees output as it arrives, e.g. to tee function logs to a terminal; `pid` tells containers apart. */
  onOutput?: (stream: "stdout" | "stderr", chunk: string, pid: number) => void;
}

export interface FunctionProcess {
  /** Queued: at most one call is in flight per process, as in an Fn container. */
  invoke(r: InvokeRequest): Promise<InvokeResult>;
  /** Everything captured so far. */
  stdout(): string;
  stderr(): string;
  pid: number;
  socketPath: string;
  /** Exit code, or null when killed by a signal. */
  exited: Promise<number | null>;
  /** SIGTERM, SIGKILL after 2 s, then removes the temp dir. Idempotent. */
  stop(): Promise<void>;
  /** SIGKILL at once, as the Fn agent does to a container past its deadline (call stop() to clean up). */
  kill(): void;
}

const POLL_MS = 5;
const KILL_AFTER_MS = 2_000;
const STDERR_TAIL = 4_000;

// Children still running when the parent exits would keep their sockets and temp dirs forever.
const live = new Map<ChildProcess, string>();
let exitHookInstalled = false;
function track(child: ChildProcess, dir: string): void {
  live.set(child, dir);
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.on("exit", () => {
    for (const [c, d] of live) {
      if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
      rmSync(d, { recursive: true, force: true });
    }
  });
}

function tail(s: string): string {
  const t = s.length > STDERR_TAIL ? `...${s.slice(-STDERR_TAIL)}` : s;
  return t.trim() === "" ? "(stderr empty)" : `stderr:\n${t.trimEnd()}`;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function startFunction(o: StartFunctionOptions): Promise<FunctionProcess> {
  const readyTimeoutMs = o.readyTimeoutMs ?? 5_000;
  // Short on purpose: unix socket paths over ~107 bytes make the FDK crash on chmod.
  const dir = await mkdtemp(path.join(os.tmpdir(), "fn-"));
  const socketPath = path.join(dir, "lsnr.sock");

  const env: Record<string, string> = {
    PATH: process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin",
    HOME: process.env["HOME"] ?? os.tmpdir(),
    FN_FORMAT: "http-stream",
    FN_LISTENER: `unix:${socketPath}`,
    FN_FN_ID: o.fnId ?? "ocid1.fnfunc.oc1..local",
    FN_APP_ID: o.appId ?? "ocid1.fnapp.oc1..local",
    FN_MEMORY: String(o.memoryMb ?? 256),
    FN_TYPE: "sync",
    ...o.env,
  };

  let out = "";
  let err = "";
  const child = spawn(process.execPath, [o.bundlePath], { env, cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  const childPid = child.pid ?? -1;
  child.stdout.on("data", (c: string) => {
    out += c;
    o.onOutput?.("stdout", c, childPid);
  });
  child.stderr.on("data", (c: string) => {
    err += c;
    o.onOutput?.("stderr", c, childPid);
  });

  let hasExited = false;
  let spawnError: Error | undefined;
  // "close" rather than "exit" so the stderr we report is complete.
  const exited = new Promise<number | null>((resolve) => {
    child.on("error", (e) => {
      spawnError = e;
      hasExited = true;
      resolve(null);
    });
    child.on("close", (code) => {
      hasExited = true;
      resolve(code);
    });
  });
  track(child, dir);

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      if (!hasExited) {
        child.kill("SIGTERM");
        const killTimer = setTimeout(() => child.kill("SIGKILL"), KILL_AFTER_MS);
        await exited;
        clearTimeout(killTimer);
      }
      live.delete(child);
      await rm(dir, { recursive: true, force: true });
    })());

  const started = Date.now();
  for (;;) {
    if (await lstat(socketPath).then(() => true, () => false)) break;
    if (hasExited) {
      const code = await exited;
      await stop();
      const why = spawnError ? `could not be spawned (${spawnError.message})` : `exited with code ${code} before it was ready`;
      throw new Error(`function ${o.bundlePath} ${why}; ${tail(err)}`);
    }
    if (Date.now() - started > readyTimeoutMs) {
      await stop();
      throw new Error(
        `function ${o.bundlePath} did not create its socket within ${readyTimeoutMs} ms (does it call fdk.handle?); ${tail(err)}`,
      );
    }
    await sleep(POLL_MS);
  }

  let queue: Promise<unknown> = Promise.resolve();
  const callOnce = async (r: InvokeRequest): Promise<InvokeResult> => {
    if (hasExited) throw new Error(`function process ${child.pid} has exited (code ${await exited}); ${tail(err)}`);
    try {
      return await postCall(socketPath, r);
    } catch (e) {
      // A dead container shows up as "socket hang up"; the exit code and stderr say why.
      const code = await Promise.race([exited, sleep(200).then(() => "running" as const)]);
      const msg = e instanceof Error ? e.message : String(e);
      if (code === "running") throw e;
      throw new Error(`invoke failed (${msg}): function process exited with code ${code}; ${tail(err)}`, { cause: e });
    }
  };
  const invoke = (r: InvokeRequest): Promise<InvokeResult> => {
    const run = queue.then(() => callOnce(r));
    queue = run.catch(() => undefined);
    return run;
  };

  return {
    invoke,
    stdout: () => out,
    stderr: () => err,
    pid: child.pid ?? -1,
    socketPath,
    exited,
    stop,
    kill: () => {
      if (!hasExited) child.kill("SIGKILL");
    },
  };
}
