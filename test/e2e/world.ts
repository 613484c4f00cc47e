import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { afterEach } from "vitest";
import { startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack, type LocalStackOptions } from "../../src/local/local-stack.js";
import { expectAllSigned } from "./helpers.js";

// The setup most e2e files share: a seeded emulator with the function running in one of its
// compartments, checked for signatures and torn down after each test, and rotation events.

const rotationFixture: unknown = JSON.parse(readFileSync(new URL("../fixtures/events/createkeyversion-end.json", import.meta.url), "utf8"));

export type WorldOptions = Omit<LocalStackOptions, "emulator" | "seed" | "compartmentId"> & {
  /** The seed compartment the function runs in; default "apps". */
  compartment?: string;
  /** Configuration that needs the seed's ids (keys, topics); `config` wins over it. */
  configFor?: (em: Emulator) => Record<string, string>;
};

/**
 * Registers an afterEach that checks every request was signed and stops the stack; `start`
 * runs the function in the seed's compartment (the emulator comes first for its ids) and
 * stops the emulator with the stack.
 */
export function worldPerTest(seed: () => Seed): { start: (o?: WorldOptions) => Promise<LocalStack> } {
  let stack: LocalStack | undefined;
  afterEach(async () => {
    if (stack) expectAllSigned(stack.emulator);
    await stack?.stop();
    stack = undefined;
  });
  const start = async (o: WorldOptions = {}): Promise<LocalStack> => {
    const { compartment = "apps", configFor, config, ...rest } = o;
    const em = await startEmulator({ seed: seed() });
    const s = await startLocalStack({
      ...rest,
      emulator: em,
      compartmentId: em.seedIds.compartments[compartment] as string,
      config: { ...configFor?.(em), ...config },
    });
    const close = s.stop;
    s.stop = async () => {
      await close();
      await em.close();
    };
    stack = s;
    return s;
  };
  return { start };
}

export interface Rotation {
  /** The createkeyversion.end event OCI Events would deliver. */
  event: Record<string, unknown>;
  /** The key version current before the rotation. */
  old: string;
  fresh: string;
}

/** Rotates a seed key in the emulator and builds the event announcing it. */
export function rotateSeedKey(em: Emulator, keyName: string, o: { vault?: string; compartment?: string } = {}): Rotation {
  const keyId = em.seedIds.keys[keyName] as string;
  const old = em.state.key(keyId)?.currentKeyVersion as string;
  const version = em.state.rotateKey(keyId);
  const event = structuredClone(rotationFixture) as { eventID: string; data: Record<string, unknown> } & Record<string, unknown>;
  event.eventID = randomUUID();
  event.data["compartmentId"] = em.seedIds.compartments[o.compartment ?? "apps"];
  event.data["resourceId"] = keyId;
  event.data["additionalDetails"] = { keyId, vaultId: em.seedIds.vaults[o.vault ?? "v"], keyVersionId: version.id };
  return { event, old, fresh: version.id };
}
