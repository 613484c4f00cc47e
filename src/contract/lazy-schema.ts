import type { z } from "zod";

/**
 * A schema built on its first use rather than when its module loads. Building zod schemas is what
 * a cold start spent most of its module evaluation on (about 20 ms of CPU for this project's
 * schemas, and the garbage collections their allocations caused), while an invocation needs only
 * the schemas of its own entrance. The proxy forwards every operation to the built schema, so the
 * value is used exactly as the schema itself (parse, compose, infer its type).
 */
export function lazySchema<T extends z.ZodType>(build: () => T): T {
  let built: T | undefined;
  const real = (): T => (built ??= build());
  return new Proxy(Object.create(null) as T, {
    get: (_t, key) => Reflect.get(real(), key),
    set: (_t, key, value) => Reflect.set(real(), key, value),
    has: (_t, key) => Reflect.has(real(), key),
    ownKeys: () => Reflect.ownKeys(real()),
    // Reported configurable: the proxy's own (empty) target cannot vouch for a fixed property.
    getOwnPropertyDescriptor: (_t, key) => {
      const d = Reflect.getOwnPropertyDescriptor(real(), key);
      return d === undefined ? undefined : { ...d, configurable: true };
    },
    defineProperty: (_t, key, d) => Reflect.defineProperty(real(), key, d),
    deleteProperty: (_t, key) => Reflect.deleteProperty(real(), key),
    getPrototypeOf: () => Reflect.getPrototypeOf(real()),
  });
}
