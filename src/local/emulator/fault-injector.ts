import { setTimeout as sleep } from "node:timers/promises";

export interface FaultRequest {
  method: string;
  /** Raw path as received. */
  path: string;
  query: URLSearchParams;
  operation: string;
  /** Decoded object name, for object operations. */
  objectName?: string;
  versionId?: string;
}

export interface FaultSpec {
  /** Only requests of this operation (RequestRecord.operation), e.g. "ReencryptObject". */
  operation?: string | undefined;
  when?: ((r: FaultRequest) => boolean) | undefined;
  /** Answer with this status (and `code`/`message`) without touching state. */
  status?: number | undefined;
  code?: string | undefined;
  message?: string | undefined;
  retryAfterSeconds?: number | undefined;
  /** Delay first; alone, the request then proceeds normally. */
  latencyMs?: number | undefined;
  /** Destroy the socket without answering (a transport error for the client). */
  reset?: boolean | undefined;
  /** How many matching requests this fault applies to; default unlimited. */
  times?: number | undefined;
  /**
   * 0..1: the fault applies to each matching request with this probability (soak tests), drawn from
   * the injector's random source (seedable: `new FaultInjector({ seed })`, `faults.setSeed(n)`).
   * Default 1. Requests it passes over do not count towards `times` or `hits`.
   */
  probability?: number | undefined;
}

export interface FaultInjectorOptions {
  /** Seed of the random source for `probability`: the same seed and request sequence give the same faults. */
  seed?: number | undefined;
}

export interface FaultHandle {
  remove(): void;
  /** Matching requests this fault has applied to so far. */
  readonly hits: number;
}

export type FaultAction =
  | { kind: "reset" }
  | { kind: "respond"; status: number; code: string; message: string; retryAfterSeconds?: number };

const DEFAULT_CODES: Record<number, string> = {
  400: "InvalidParameter",
  401: "NotAuthenticated",
  403: "Forbidden",
  404: "NotAuthorizedOrNotFound",
  409: "Conflict",
  412: "PreconditionFailed",
  429: "TooManyRequests",
  500: "InternalServerError",
  502: "BadGateway",
  503: "ServiceUnavailable",
  504: "GatewayTimeout",
};

interface Fault {
  spec: FaultSpec;
  hits: number;
}

/** mulberry32: a small, fast, seedable PRNG; uniform in [0, 1). */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * Failures and slowness on demand, matched per request, in the order they were added. A fault that
 * answers (status) or resets does so before the request reaches its handler: it never changes state.
 */
export class FaultInjector {
  private faults: Fault[] = [];
  private baseLatencyMs = 0;
  private random: () => number;

  constructor(options: FaultInjectorOptions = {}) {
    this.random = options.seed === undefined ? Math.random : seededRandom(options.seed);
  }

  /** Makes `probability` draws deterministic from now on. */
  setSeed(seed: number): void {
    this.random = seededRandom(seed);
  }

  add(spec: FaultSpec): FaultHandle {
    const p = spec.probability;
    if (p !== undefined && !(p >= 0 && p <= 1)) throw new Error(`fault probability must be within 0..1, got ${p}`);
    const fault: Fault = { spec, hits: 0 };
    this.faults.push(fault);
    return {
      remove: () => {
        this.faults = this.faults.filter((f) => f !== fault);
      },
      get hits() {
        return fault.hits;
      },
    };
  }

  clear(): void {
    this.faults = [];
  }

  /** Delay added to every request (benchmarks): models the network and service time of a real region. */
  setBaseLatency(ms: number): void {
    this.baseLatencyMs = Math.max(0, ms);
  }

  get baseLatency(): number {
    return this.baseLatencyMs;
  }

  /**
   * Applies the matching faults: waits out their latencies and returns the first terminal one
   * (reset or status), or undefined when the request should proceed.
   */
  async apply(req: FaultRequest): Promise<FaultAction | undefined> {
    for (const fault of [...this.faults]) {
      const { spec } = fault;
      if (fault.hits >= (spec.times ?? Infinity)) continue;
      if (spec.operation !== undefined && spec.operation !== req.operation) continue;
      if (spec.when && !spec.when(req)) continue;
      if (spec.probability !== undefined && !(this.random() < spec.probability)) continue;
      fault.hits++;
      if (fault.hits >= (spec.times ?? Infinity)) this.faults = this.faults.filter((f) => f !== fault);
      if (spec.latencyMs) await sleep(spec.latencyMs);
      if (spec.reset) return { kind: "reset" };
      if (spec.status !== undefined) {
        return {
          kind: "respond",
          status: spec.status,
          code: spec.code ?? DEFAULT_CODES[spec.status] ?? "InternalServerError",
          message: spec.message ?? `Injected fault (${spec.status})`,
          ...(spec.retryAfterSeconds !== undefined ? { retryAfterSeconds: spec.retryAfterSeconds } : {}),
        };
      }
    }
    return undefined;
  }
}
