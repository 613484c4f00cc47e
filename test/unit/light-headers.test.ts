import { describe, expect, it } from "vitest";
import { LightHeaders } from "../../src/oci/http/light-headers.js";

// LightHeaders stands in for Node's Headers in the bundles (scripts/build.mjs injects it). Each case
// runs the same operations on both and compares everything either can observe.

// Node's Headers as this project's TypeScript libs see it (no DOM iterables): what both classes offer.
interface HeadersLike {
  append(name: string, value: string): void;
  set(name: string, value: string): void;
  delete(name: string): void;
  get(name: string): string | null;
  has(name: string): boolean;
  forEach(callback: (value: string, name: string) => void): void;
  keys(): IterableIterator<string>;
  values(): IterableIterator<string>;
  getSetCookie(): string[];
  [Symbol.iterator](): IterableIterator<[string, string]>;
}
type NodeHeaders = new (init?: unknown) => HeadersLike;
const NodeHeaders = Headers as unknown as NodeHeaders;

type Op = [method: "append" | "set" | "delete" | "get" | "has", name: string, value?: string];

function observe(h: HeadersLike, ops: Op[]): unknown[] {
  const seen: unknown[] = [];
  for (const [method, name, value] of ops) {
    try {
      if (method === "append" || method === "set") seen.push(h[method](name, value ?? ""));
      else seen.push(h[method](name));
    } catch (e) {
      seen.push(e instanceof TypeError ? "TypeError" : `other: ${String(e)}`);
    }
  }
  const forEach: string[][] = [];
  h.forEach((v, n) => forEach.push([n, v]));
  return [seen, [...h], [...h.keys()], [...h.values()], forEach, h.getSetCookie(), Object.prototype.toString.call(h)];
}

const same = (ops: Op[]): void => expect(observe(new LightHeaders(), ops)).toEqual(observe(new NodeHeaders(), ops));

describe("LightHeaders, against Node's Headers", () => {
  it("sets, appends, reads and deletes by name regardless of case", () => {
    same([["set", "Content-Type", "application/json"], ["get", "content-type"], ["has", "CONTENT-TYPE"], ["append", "X-A", "1"], ["append", "x-a", "2"], ["get", "X-a"], ["set", "x-A", "3"], ["get", "x-a"], ["delete", "X-A"], ["has", "x-a"], ["get", "x-a"]]);
  });

  it("iterates sorted by lower-case name, joining repeated values, with set-cookie values apart", () => {
    same([["set", "zeta", "z"], ["append", "Alpha", "a1"], ["append", "alpha", "a2"], ["set", "opc-request-id", "R"], ["append", "Set-Cookie", "a=1"], ["append", "set-cookie", "b=2"], ["set", "Date", "Mon"]]);
  });

  it("trims the edges of values and refuses invalid names and values with a TypeError", () => {
    same([["set", "a", "  padded\t"], ["set", "b", "\r\n x \n"], ["set", "c", "in\nside"], ["set", "d", "nul\0"], ["set", "bad name", "v"], ["set", "", "v"], ["set", "é", "v"], ["set", "e", "ü"], ["set", "f", "snow ☃"], ["get", "bad name"], ["has", "(x)"], ["delete", "x:y"]]);
  });

  it("builds from a record, from pairs and from another instance", () => {
    const record = { "Content-Type": "application/json", "opc-client-request-id": "abc" };
    const pairs: [string, string][] = [["a", "1"], ["A", "2"], ["b", " 3 "]];
    expect([...new LightHeaders(record)]).toEqual([...new NodeHeaders(record)]);
    expect([...new LightHeaders(pairs)]).toEqual([...new NodeHeaders(pairs)]);
    expect([...new LightHeaders(new LightHeaders(pairs))]).toEqual([...new NodeHeaders(new NodeHeaders(pairs))]);
    expect(() => new LightHeaders([["a", "1", "2"] as unknown as [string, string]])).toThrow(TypeError);
    expect(() => new NodeHeaders([["a", "1", "2"] as unknown as [string, string]])).toThrow(TypeError);
    expect(() => new LightHeaders(null as never)).toThrow(TypeError);
    expect(() => new NodeHeaders(null)).toThrow(TypeError);
  });

  it("agrees over random sequences of operations", () => {
    const names = ["a", "A", "b", "Content-Length", "content-length", "set-cookie", "Set-Cookie", "x-date", "bad name", "b@d"];
    const values = ["", " v ", "1", "two words", "a,b", "\tx", "l\nf", "ü", "☃"];
    const methods = ["append", "set", "delete", "get", "has"] as const;
    let seed = 12345;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = <T>(xs: readonly T[]): T => xs[rand(xs.length)] as T;
    for (let run = 0; run < 300; run++) {
      const ops: Op[] = Array.from({ length: 1 + rand(12) }, () => [pick(methods), pick(names), pick(values)]);
      same(ops);
    }
  });

  it("passes its own instance to forEach and honours thisArg", () => {
    const h = new LightHeaders({ a: "1" });
    const seen: unknown[] = [];
    const self = { tag: "this" };
    h.forEach(function (this: unknown, _v, _n, parent) {
      seen.push(parent === h, this);
    }, self);
    expect(seen).toEqual([true, self]);
  });
});
