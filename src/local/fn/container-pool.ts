// Functions the way OCI runs them: every invocation gets a container of its own (a `node <bundle>`
// process behind the FDK socket) that handles one invocation at a time. An idle warm container is
// reused, otherwise a new one starts (a cold start); containers idle too long are stopped; a
// container still busy a second after its invocation's deadline is SIGKILLed; at most
// `maxContainers` run at once, as the tenancy's Functions limit would allow.

import { randomUUID } from "node:crypto";
import type { InvokeRequest, InvokeResult } from "./invoke-types.js";
import { startFunction, type FunctionProcess } from "./start-function.js";

export type OutputListener = (stream: "stdout" | "stderr", chunk: string, pid: number) => void;

export interface ContainerPoolOptions {
  bundlePath: string;
  /** The same for every container, as OCI gives every container of a function the same configuration. */
  env: Record<string, string>;
  fnId?: string | undefined;
  appId?: string | undefined;
  memoryMb?: number | undefined;
  /** Containers running at once (busy or idle); default 16. */
  maxContainers?: number | undefined;
  /** An idle container is stopped after this long; default 30. */
  idleSeconds?: number | undefined;
  /** The deadline of an invocation that names none is now + this; default 30. */
  timeoutSeconds?: number | undefined;
  /** A container still busy this long after its invocation's deadline is SIGKILLed; default 1000 (OCI: 1 s). */
  killGraceMs?: number | undefined;
  /**
   * When every container is busy but another may start, an invocation first waits this long for
   * a busy one to come free, as the Fn agent's hot poll does (FN_HOT_POLL_MSECS, 200 ms by default
   * in fnproject/fn); only then does it cold-start a container. 0 starts one at once. Default 200.
   */
  hotPollMs?: number | undefined;
  /** Default 15000 (many cold starts at once on a small machine are slow). */
  readyTimeoutMs?: number | undefined;
  /** Sees every container's output as it arrives. */
  onOutput?: OutputListener | undefined;
}

/** Where an invocation came from: a direct call (stack.invoke, deliverEvent), or InvokeFunction sync / detached. */
export type InvocationSource = "direct" | "sync" | "detached";

export interface ContainerInfo {
  pid: number;
  /** Running an invocation. */
  busy: boolean;
  /** The Fn-Call-Id of the invocation it runs. */
  callId?: string;
  /** Where the invocation it runs came from. */
  source?: InvocationSource;
  /** When its process became ready (ms since the epoch). */
  startedAt: number;
  /** Invocations it has run, the current one included. */
  invocations: number;
}

export interface ContainerPoolStats {
  /** Invocations handed to a container. */
  invocations: number;
  /** Containers started. */
  coldStarts: number;
  /** The most containers running invocations at the same time. */
  maxBusy: number;
  /** Containers SIGKILLed through kill() / killRandomBusy(). */
  kills: number;
  /** Containers SIGKILLed because their invocation outlived its deadline (plus the grace). */
  timeouts: number;
}

export type InvocationFailureReason = "killed" | "timeout" | "crashed" | "start-failed" | "no-capacity" | "stopped";

/** An invocation that got no answer from its container: why, and which container. */
export class InvocationFailedError extends Error {
  readonly reason: InvocationFailureReason;
  readonly pid: number | undefined;
  readonly callId: string | undefined;

  constructor(reason: InvocationFailureReason, message: string, o: { pid?: number; callId?: string; cause?: unknown } = {}) {
    super(message, o.cause === undefined ? undefined : { cause: o.cause });
    this.name = "InvocationFailedError";
    this.reason = reason;
    this.pid = o.pid;
    this.callId = o.callId;
  }
}

interface Container {
  proc: FunctionProcess;
  busy: boolean;
  callId?: string | undefined;
  source?: InvocationSource | undefined;
  startedAt: number;
  invocations: number;
  idleTimer?: NodeJS.Timeout | undefined;
  /** Set when this pool killed it, so its invocation can say why. */
  killReason?: "killed" | "timeout" | undefined;
  /** Exited, or on its way out: never handed another invocation. */
  retired: boolean;
}

interface Waiter {
  resolve(c: Container): void;
  reject(e: Error): void;
  /** Hot-polling: waits for a busy container until this timer starts a new one instead. */
  hotTimer?: NodeJS.Timeout | undefined;
}

export class ContainerPool {
  private readonly o: ContainerPoolOptions;
  private readonly max: number;
  private readonly idleMs: number;
  private readonly graceMs: number;
  private readonly hotPollMs: number;
  /** Started and not retired, busy or idle. */
  private readonly live: Container[] = [];
  /** Idle containers, the most recently used last. */
  private readonly idle: Container[] = [];
  /** Every container ever started, in start order (their output outlives them). */
  private readonly started: FunctionProcess[] = [];
  private starting = 0;
  private readonly waiters: Waiter[] = [];
  private readonly listeners = new Set<OutputListener>();
  private readonly pendingStarts = new Set<Promise<unknown>>();
  private stopped = false;
  private readonly counters: ContainerPoolStats = { invocations: 0, coldStarts: 0, maxBusy: 0, kills: 0, timeouts: 0 };

  constructor(o: ContainerPoolOptions) {
    this.o = o;
    this.max = o.maxContainers ?? 16;
    if (!(this.max >= 1)) throw new Error(`maxContainers must be at least 1, got ${this.max}`);
    this.idleMs = (o.idleSeconds ?? 30) * 1000;
    this.graceMs = o.killGraceMs ?? 1000;
    this.hotPollMs = o.hotPollMs ?? 200;
    if (o.onOutput) this.listeners.add(o.onOutput);
  }

  /**
   * Runs one invocation in a container of its own, waiting for one when all are busy at the limit.
   * Resolves with the container's answer (a function that throws is a 502 answer, not a rejection);
   * rejects with InvocationFailedError when the container died, was killed, or outlived the deadline.
   */
  invoke(r: InvokeRequest, source: InvocationSource = "direct"): Promise<InvokeResult> {
    return this.dispatch(r, true, source);
  }

  /**
   * Like invoke(), but when no container is idle and none may start it rejects at once with
   * reason "no-capacity" (the emulator's InvokeFunction then answers 429). The decision is made
   * synchronously: `hasCapacity()` followed by `tryInvoke()` in the same tick agree.
   */
  tryInvoke(r: InvokeRequest, source: InvocationSource = "sync"): Promise<InvokeResult> {
    return this.dispatch(r, false, source);
  }

  /** Whether an invocation could start now without waiting. */
  hasCapacity(): boolean {
    return !this.stopped && (this.idle.length > 0 || this.live.length + this.starting < this.max);
  }

  /** Starts containers ahead of invocations (they wait idle), e.g. one at stack start. */
  async warm(count = 1): Promise<void> {
    const starts: Promise<Container>[] = [];
    for (let i = 0; i < count && this.live.length + this.starting < this.max; i++) starts.push(this.spawn(false));
    await Promise.all(starts);
  }

  containers(): ContainerInfo[] {
    return this.live.map((c) => ({
      pid: c.proc.pid,
      busy: c.busy && c.callId !== undefined,
      ...(c.callId !== undefined ? { callId: c.callId } : {}),
      ...(c.callId !== undefined && c.source !== undefined ? { source: c.source } : {}),
      startedAt: c.startedAt,
      invocations: c.invocations,
    }));
  }

  /** SIGKILLs a container (mid-invocation, if busy); resolves once it has exited; false for an unknown pid. */
  async kill(pid: number): Promise<boolean> {
    const c = this.live.find((x) => x.proc.pid === pid);
    if (!c) return false;
    c.killReason ??= "killed";
    this.counters.kills++;
    this.retire(c);
    c.proc.kill();
    await c.proc.exited;
    return true;
  }

  /**
   * SIGKILLs a container that is running an invocation, chosen at random among those `filter`
   * accepts (e.g. `(c) => c.source === "detached"` to spare a test's own direct call); its pid, or
   * undefined when none is busy.
   */
  async killRandomBusy(filter: (c: ContainerInfo) => boolean = () => true): Promise<number | undefined> {
    const infos = this.containers();
    const busy = this.live.filter((c, i) => c.busy && c.callId !== undefined && filter(infos[i] as ContainerInfo));
    const c = busy[Math.floor(Math.random() * busy.length)];
    if (!c) return undefined;
    await this.kill(c.proc.pid);
    return c.proc.pid;
  }

  stats(): ContainerPoolStats {
    return { ...this.counters };
  }

  /** Everything every container has printed on stdout so far: container by container, in start order. */
  stdout(): string {
    return this.started.map((p) => p.stdout()).join("");
  }

  stderr(): string {
    return this.started.map((p) => p.stderr()).join("");
  }

  /** Adds a listener for every container's output; returns its removal. */
  onOutput(listener: OutputListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** The first container ever started (it may have stopped since). */
  first(): FunctionProcess | undefined {
    return this.started[0];
  }

  /** Stops every container (SIGTERM, then SIGKILL after 2 s); waiting and running invocations fail. */
  async stop(): Promise<void> {
    this.stopped = true;
    for (const w of this.waiters.splice(0)) {
      clearTimeout(w.hotTimer);
      w.reject(new InvocationFailedError("stopped", "the container pool was stopped"));
    }
    for (const c of this.live) clearTimeout(c.idleTimer);
    await Promise.allSettled([...this.pendingStarts]);
    await Promise.all(this.started.map((p) => p.stop()));
  }

  private dispatch(r: InvokeRequest, wait: boolean, source: InvocationSource): Promise<InvokeResult> {
    // Synchronous up to acquire(): the slot is taken in this tick. The deadline runs from here, so
    // waiting for a container and a cold start count against it, as in the Fn agent.
    const deadline = r.deadline ?? new Date(Date.now() + (this.o.timeoutSeconds ?? 30) * 1000);
    const callId = r.callId ?? randomUUID();
    const slot = this.acquire(wait);
    return slot.then((c) => this.run(c, { ...r, callId, deadline }, callId, deadline, source));
  }

  private acquire(wait: boolean): Promise<Container> {
    if (this.stopped) return Promise.reject(new InvocationFailedError("stopped", "the container pool is stopped"));
    const idle = this.idle.pop();
    if (idle) {
      clearTimeout(idle.idleTimer);
      idle.busy = true;
      return Promise.resolve(idle);
    }
    if (this.live.length + this.starting < this.max) {
      const busy = this.live.some((c) => c.busy && !c.retired);
      if (this.hotPollMs <= 0 || !busy) return this.spawn(true);
      return new Promise((resolve, reject) => {
        const waiter: Waiter = { resolve, reject };
        waiter.hotTimer = setTimeout(() => {
          waiter.hotTimer = undefined;
          // Still waiting: start a container for it if there is room, else it waits its turn.
          if (this.live.length + this.starting >= this.max) return;
          const i = this.waiters.indexOf(waiter);
          if (i < 0) return;
          this.waiters.splice(i, 1);
          this.spawn(true).then(resolve, reject);
        }, this.hotPollMs);
        this.waiters.push(waiter);
      });
    }
    if (!wait) {
      return Promise.reject(
        new InvocationFailedError("no-capacity", `all ${this.max} containers are busy (the concurrency limit): TooManyRequests`),
      );
    }
    return new Promise((resolve, reject) => this.waiters.push({ resolve, reject }));
  }

  private spawn(busy: boolean): Promise<Container> {
    this.starting++;
    const start = startFunction({
      bundlePath: this.o.bundlePath,
      env: this.o.env,
      ...(this.o.fnId !== undefined ? { fnId: this.o.fnId } : {}),
      ...(this.o.appId !== undefined ? { appId: this.o.appId } : {}),
      ...(this.o.memoryMb !== undefined ? { memoryMb: this.o.memoryMb } : {}),
      readyTimeoutMs: this.o.readyTimeoutMs ?? 15_000,
      onOutput: (stream, chunk, pid) => {
        for (const l of this.listeners) l(stream, chunk, pid);
      },
    });
    const ready = start.then(
      async (proc) => {
        this.starting--;
        this.counters.coldStarts++;
        this.started.push(proc);
        if (this.stopped) {
          await proc.stop();
          throw new InvocationFailedError("stopped", "the container pool was stopped");
        }
        const c: Container = { proc, busy, startedAt: Date.now(), invocations: 0, retired: false };
        this.live.push(c);
        void proc.exited.then(() => this.onExit(c));
        if (!busy) this.release(c);
        return c;
      },
      (error: unknown) => {
        this.starting--;
        this.slotFreed();
        const message = error instanceof Error ? error.message : String(error);
        throw new InvocationFailedError("start-failed", `a container could not start: ${message}`, { cause: error });
      },
    );
    this.pendingStarts.add(ready);
    void ready.then(
      () => this.pendingStarts.delete(ready),
      () => this.pendingStarts.delete(ready),
    );
    return ready;
  }

  private async run(c: Container, r: InvokeRequest, callId: string, deadline: Date, source: InvocationSource): Promise<InvokeResult> {
    c.callId = callId;
    c.source = source;
    c.invocations++;
    this.counters.invocations++;
    const busyNow = this.live.filter((x) => x.busy && x.callId !== undefined).length;
    if (busyNow > this.counters.maxBusy) this.counters.maxBusy = busyNow;
    const killAt = deadline.getTime() + this.graceMs;
    const timer = setTimeout(() => {
      if (c.callId !== callId || c.retired) return;
      c.killReason = "timeout";
      this.counters.timeouts++;
      this.retire(c);
      c.proc.kill();
    }, Math.max(0, killAt - Date.now()));
    try {
      // The pool's kill comes first; the socket's own timeout is only a backstop.
      return await c.proc.invoke({ ...r, timeoutMs: Math.max(0, killAt - Date.now()) + 5_000 });
    } catch (error) {
      // The FDK answers a throwing function with a 502; a rejection means the container itself failed.
      this.retire(c);
      c.proc.kill();
      throw this.failure(c, callId, deadline, error);
    } finally {
      clearTimeout(timer);
      c.callId = undefined;
      c.source = undefined;
      this.release(c);
    }
  }

  private failure(c: Container, callId: string, deadline: Date, cause: unknown): InvocationFailedError {
    const pid = c.proc.pid;
    const o = { pid, callId, cause };
    if (c.killReason === "timeout") {
      return new InvocationFailedError(
        "timeout",
        `invocation ${callId} timed out: container ${pid} was still busy ${this.graceMs} ms after the deadline ${deadline.toISOString()} and was SIGKILLed`,
        o,
      );
    }
    if (c.killReason === "killed") return new InvocationFailedError("killed", `invocation ${callId} failed: container ${pid} was SIGKILLed (kill)`, o);
    const message = cause instanceof Error ? cause.message : String(cause);
    return new InvocationFailedError("crashed", `invocation ${callId} failed: container ${pid}: ${message}`, o);
  }

  /** Back to the pool after an invocation (or a warm start): to the next waiter, else idle. */
  private release(c: Container): void {
    if (c.retired || this.stopped) {
      c.busy = false;
      return;
    }
    const waiter = this.waiters.shift();
    if (waiter) {
      clearTimeout(waiter.hotTimer);
      c.busy = true;
      waiter.resolve(c);
      return;
    }
    c.busy = false;
    this.idle.push(c);
    clearTimeout(c.idleTimer);
    c.idleTimer = setTimeout(() => {
      if (c.busy || c.retired) return;
      this.retire(c);
      void c.proc.stop();
    }, this.idleMs);
    c.idleTimer.unref();
  }

  /** Takes a container out of service for good; its slot frees once it has exited. */
  private retire(c: Container): void {
    if (c.retired) return;
    c.retired = true;
    clearTimeout(c.idleTimer);
    const i = this.idle.indexOf(c);
    if (i >= 0) this.idle.splice(i, 1);
  }

  private onExit(c: Container): void {
    this.retire(c);
    const i = this.live.indexOf(c);
    if (i >= 0) this.live.splice(i, 1);
    // Removes its temp dir (the process is gone already).
    void c.proc.stop();
    this.slotFreed();
  }

  /** A container slot became free: a waiter, if any, gets a new container. */
  private slotFreed(): void {
    if (this.stopped || this.waiters.length === 0 || this.live.length + this.starting >= this.max) return;
    const waiter = this.waiters.shift() as Waiter;
    clearTimeout(waiter.hotTimer);
    this.spawn(true).then(waiter.resolve, waiter.reject);
  }
}
