export interface InvokeRequest {
  body: Buffer;
  /** The invoke request's headers, lowercased, without `authorization`. */
  headers: Record<string, string>;
  invokeType: "sync" | "detached";
  functionId: string;
  /** The function's timeout for this invoke type, so a forwarder can set `Fn-Deadline`. */
  timeoutSeconds: number;
}

export interface InvokeResult {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

export type Invoker = (req: InvokeRequest) => Promise<InvokeResult>;

/**
 * Asked right before an invocation is handed to the invoker: false means no capacity (all
 * containers busy at the concurrency limit), and InvokeFunction answers 429 TooManyRequests at once
 * without calling the invoker. The invoker is then called synchronously, in the same tick.
 */
export type Admit = (req: InvokeRequest) => boolean;

export interface InvokerOptions {
  admit?: Admit | undefined;
}

export interface DetachedOutcome {
  functionId: string;
  at: number;
  result?: InvokeResult;
  error?: unknown;
}

/**
 * Where invocations go: another module (the Fn-agent driver, a test fake) registers one invoker
 * per function. Detached invocations run in the background; `idle()` lets a test wait for them.
 */
export class FunctionInvokers {
  private readonly invokers = new Map<string, Invoker>();
  private readonly admits = new Map<string, Admit>();
  private readonly pending = new Set<Promise<void>>();
  /** Every finished detached invocation, in completion order. */
  readonly detached: DetachedOutcome[] = [];

  setInvoker(functionId: string, invoker: Invoker | undefined, options: InvokerOptions = {}): void {
    if (invoker) this.invokers.set(functionId, invoker);
    else this.invokers.delete(functionId);
    if (invoker && options.admit) this.admits.set(functionId, options.admit);
    else this.admits.delete(functionId);
  }

  /** Whether the function can take `req` now (true without an admission check). */
  admit(functionId: string, req: InvokeRequest): boolean {
    const admit = this.admits.get(functionId);
    return admit ? admit(req) : true;
  }

  getInvoker(functionId: string): Invoker | undefined {
    return this.invokers.get(functionId);
  }

  runDetached(functionId: string, invoker: Invoker, req: InvokeRequest): void {
    const run = (async () => {
      try {
        const result = await invoker(req);
        this.detached.push({ functionId, at: Date.now(), result });
      } catch (error) {
        this.detached.push({ functionId, at: Date.now(), error });
      }
    })();
    this.pending.add(run);
    void run.finally(() => this.pending.delete(run));
  }

  get inFlight(): number {
    return this.pending.size;
  }

  /** Resolves once no detached invocation is running, including ones started while waiting. */
  async idle(): Promise<void> {
    while (this.pending.size > 0) await Promise.allSettled([...this.pending]);
  }
}
