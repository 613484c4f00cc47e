/**
 * Requests being handled right now, per operation (RequestRecord.operation), and the most seen at
 * once. A request counts from its arrival to the end of its response (or the reset of its
 * connection), latency faults and base latency included: a client keeping 16 calls in flight
 * against 20 ms of latency is seen as 16.
 */
export class RequestStats {
  private readonly current = new Map<string, number>();
  private readonly peak = new Map<string, number>();
  private readonly totals = new Map<string, number>();

  /** Requests of `operation` in flight now. */
  inFlight(operation: string): number {
    return this.current.get(operation) ?? 0;
  }

  /** The most requests of `operation` in flight at once since the start or the last reset(). */
  maxInFlight(operation: string): number {
    return this.peak.get(operation) ?? 0;
  }

  /** Requests of `operation` received since the start or the last reset(). */
  total(operation: string): number {
    return this.totals.get(operation) ?? 0;
  }

  /** Forgets maxima and totals; a maximum restarts from what is in flight now. */
  reset(): void {
    this.peak.clear();
    this.totals.clear();
    for (const [op, n] of this.current) if (n > 0) this.peak.set(op, n);
  }

  /** Counts one request in; the returned function counts it out (idempotent). */
  begin(operation: string): () => void {
    const n = this.inFlight(operation) + 1;
    this.current.set(operation, n);
    this.totals.set(operation, this.total(operation) + 1);
    if (n > this.maxInFlight(operation)) this.peak.set(operation, n);
    let ended = false;
    return () => {
      if (ended) return;
      ended = true;
      this.current.set(operation, this.inFlight(operation) - 1);
    };
  }
}
