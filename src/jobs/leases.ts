import { randomUUID } from "node:crypto";
import type { Config } from "../config.js";

// Leases (contract §8): a running shard holds one of 3× the checkpoint interval and renews it at
// every checkpoint. A dispatched shard is held for its invocation by a "dispatch:<nonce>" lease
// until that invocation claims it; a dispatch that never arrives expires like a dead runner.

export const leaseMs = (config: Config): number => 3 * config.checkpointSeconds * 1000;

/** How long a dispatched shard waits for its invocation to start before it counts as stalled. */
export const dispatchGraceMs = (config: Config): number => Math.max(leaseMs(config), 10_000);

export const newOwner = (): string => `inv:${randomUUID()}`;

export const dispatchOwner = (nonce: string): string => `dispatch:${nonce}`;
