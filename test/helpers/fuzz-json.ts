// JSON values and the mutations the fuzz test applies to them: start from a valid body and break
// it the ways callers and attackers do (drop and rename fields, wrong types, huge strings, unicode,
// lone surrogates, path tricks, numbers as strings, nested junk, prototype-pollution keys).
// Every mutation is a plain record ({op, at, pick}) resolved against the value when applied, so a
// failing case prints as data and replays exactly.

import fc from "fast-check";

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };
export type Path = Array<string | number>;

export const isObject = (v: unknown): v is JsonObject => typeof v === "object" && v !== null && !Array.isArray(v);

/** Sets an own property, even "__proto__" (an assignment would change the prototype instead). */
export function setOwn(o: JsonObject, key: string, value: Json): void {
  Object.defineProperty(o, key, { value, enumerable: true, writable: true, configurable: true });
}

/** A deep copy that keeps own "__proto__" members as members (JSON.parse defines them as own). */
export const cloneJson = <T extends Json>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** Every node's path, the root first, breadth-first so shallow nodes get small indices. */
export function nodePaths(root: Json, limit = 400): Path[] {
  const out: Path[] = [];
  const queue: Array<[Json, Path]> = [[root, []]];
  while (queue.length > 0 && out.length < limit) {
    const [v, p] = queue.shift() as [Json, Path];
    out.push(p);
    if (Array.isArray(v)) v.slice(0, 50).forEach((c, i) => queue.push([c, [...p, i]]));
    else if (isObject(v)) for (const k of Object.keys(v)) queue.push([v[k] as Json, [...p, k]]);
  }
  return out;
}

export function getAt(root: Json, path: Path): Json | undefined {
  let v: Json | undefined = root;
  for (const k of path) {
    if (Array.isArray(v) && typeof k === "number") v = v[k];
    else if (isObject(v) && typeof k === "string" && Object.prototype.hasOwnProperty.call(v, k)) v = v[k];
    else return undefined;
  }
  return v;
}

/** Replaces the node at `path` (the root when empty); returns the new root. */
export function setAt(root: Json, path: Path, value: Json): Json {
  if (path.length === 0) return value;
  const parent = getAt(root, path.slice(0, -1));
  const k = path[path.length - 1] as string | number;
  if (Array.isArray(parent) && typeof k === "number") parent[k] = value;
  else if (isObject(parent) && typeof k === "string") setOwn(parent, k, value);
  return root;
}

// Values reused rather than built per case: a big string costs nothing to point at twice.
const BIG = "x".repeat(100_000);
const HUGE = "é".repeat(600_000);
const LONG_NAME = "n".repeat(1025);
const DEEP = (() => {
  let v: Json = "bottom";
  for (let i = 0; i < 500; i++) v = [v];
  return v;
})();

export const JUNK: readonly Json[] = [null, true, false, 0, -1, 1.5, -0, 1e308, 2 ** 53 + 1, "", "1", "true", "null", [], {}, [null], { "": "" }, "[object Object]", "NaN"];
export const UNICODE: readonly string[] = ["\ud800", "\udfff", "\ud83d", "\u0000", "😀", "\u202e", "\u2028", "é", "\r\n", "\n", "%00", "%ED%A0%80", "\ufeff", "\uffff", "𝔘"];
export const PATH_TRICKS: readonly string[] = ["..", ".", "../", "./", "a/../../b", "../reencrypt", "/n/fzns/b/state/o/x", "%2e%2e/", "..%2F..%2F", "..\\..\\", "state", "../state", "/", "//", "a//b", "?x=1", "#frag", "*", "?", "fzns/state"];
/** Root-level member names that no body accepts and that do not change what kind of body it is. */
export const EXTRA_NAMES: readonly string[] = ["tragets", "Targets", "targets ", "__proto__", "constructor", "prototype", "toString", "hasOwnProperty", "valueOf", "dryrun", "keys", "ᵗargets", "$where", ""];
const POLLUTERS: ReadonlyArray<[string, Json]> = [
  ["__proto__", { polluted: true }],
  ["constructor", { prototype: { polluted: true } }],
  ["__proto__", { isAdmin: true, targets: [{ bucket: "state" }] }],
];

export const MUTATION_OPS = ["drop", "rename", "retype", "numstr", "huge", "unicode", "path", "nest", "add", "pollute", "empty", "duplicate"] as const;
export type MutationOp = (typeof MUTATION_OPS)[number];

export interface Mutation {
  op: MutationOp;
  /** Which node (an index into nodePaths, modulo). */
  at: number;
  /** Which variant of the op (modulo its choices). */
  pick: number;
}

export const mutationArb: fc.Arbitrary<Mutation> = fc.record({ op: fc.constantFrom(...MUTATION_OPS), at: fc.nat(1000), pick: fc.nat(1000) });

const nth = <T>(xs: readonly T[], i: number): T => xs[i % xs.length] as T;

/** Applies one mutation to a copy of `root`; returns the new value and a short description. */
export function applyMutation(input: Json, m: Mutation): { value: Json; what: string } {
  const root = cloneJson(input);
  const paths = nodePaths(root);
  const path = nth(paths, m.at);
  const node = getAt(root, path);
  const where = path.join(".") || "(root)";
  switch (m.op) {
    case "drop": {
      if (path.length === 0) return { value: {}, what: "drop everything" };
      const parent = getAt(root, path.slice(0, -1));
      const k = path[path.length - 1] as string | number;
      if (Array.isArray(parent)) parent.splice(k as number, 1);
      else if (isObject(parent)) delete parent[k as string];
      return { value: root, what: `drop ${where}` };
    }
    case "rename": {
      if (path.length === 0) return { value: root, what: "rename nothing" };
      const parent = getAt(root, path.slice(0, -1));
      const k = path[path.length - 1];
      if (!isObject(parent) || typeof k !== "string") return { value: root, what: "rename nothing" };
      const forms = [k.toUpperCase(), `${k} `, `${k}s`, k.slice(1), `_${k}`, nth(EXTRA_NAMES, m.pick), k.normalize("NFD") === k ? `${k}\u0301` : k.normalize("NFD")];
      const to = nth(forms, m.pick);
      const v = parent[k] as Json;
      delete parent[k];
      setOwn(parent, to, v);
      return { value: root, what: `rename ${where} to ${JSON.stringify(to)}` };
    }
    case "retype":
      return { value: setAt(root, path, cloneJson(nth(JUNK, m.pick))), what: `retype ${where}` };
    case "numstr": {
      const v = typeof node === "number" ? String(node) : typeof node === "string" && node !== "" && !Number.isNaN(Number(node)) ? Number(node) : typeof node === "boolean" ? String(node) : nth([0, "0", 1e21, -1], m.pick);
      return { value: setAt(root, path, v), what: `numstr ${where}` };
    }
    case "huge":
      return { value: setAt(root, path, nth([BIG, LONG_NAME, HUGE, BIG.slice(0, 4097)], m.pick)), what: `huge ${where}` };
    case "unicode": {
      const u = nth(UNICODE, m.pick);
      const v = typeof node === "string" ? node.slice(0, m.at % (node.length + 1)) + u + node.slice(m.at % (node.length + 1)) : u;
      return { value: setAt(root, path, v), what: `unicode ${where} ${JSON.stringify(u)}` };
    }
    case "path":
      return { value: setAt(root, path, nth(PATH_TRICKS, m.pick)), what: `path ${where}` };
    case "nest": {
      const wrapped = nth<Json>([[node ?? null], { x: node ?? null }, [[[[node ?? null]]]], DEEP], m.pick);
      return { value: setAt(root, path, wrapped), what: `nest ${where}` };
    }
    case "add": {
      const target = isObject(node) ? node : isObject(root) ? root : undefined;
      if (!target) return { value: root, what: "add nothing" };
      const name = nth(EXTRA_NAMES, m.pick);
      setOwn(target, name, nth(JUNK, m.at));
      return { value: root, what: `add ${JSON.stringify(name)} at ${target === node ? where : "(root)"}` };
    }
    case "pollute": {
      const target = isObject(node) ? node : isObject(root) ? root : undefined;
      if (!target) return { value: root, what: "pollute nothing" };
      const [k, v] = nth(POLLUTERS, m.pick);
      setOwn(target, k, cloneJson(v));
      return { value: root, what: `pollute ${target === node ? where : "(root)"} with ${k}` };
    }
    case "empty":
      return { value: setAt(root, path, Array.isArray(node) ? [] : isObject(node) ? {} : ""), what: `empty ${where}` };
    case "duplicate": {
      if (!Array.isArray(node) || node.length === 0) return { value: root, what: "duplicate nothing" };
      const n = nth([2, 10, 1000, 1001], m.pick);
      return { value: setAt(root, path, Array.from({ length: n }, (_, i) => cloneJson(node[i % node.length] as Json))), what: `duplicate ${where} x${n}` };
    }
  }
}

/** OCI Functions refuses invoke bodies over 6 MB: a body that could never reach the function is not a case. */
export const MAX_CASE_BYTES = 5 * 1024 * 1024;

export function applyMutations(value: Json, ms: readonly Mutation[]): { value: Json; applied: string[] } {
  let v = value;
  const applied: string[] = [];
  for (const m of ms) {
    const r = applyMutation(v, m);
    if (Buffer.byteLength(JSON.stringify(r.value) ?? "") > MAX_CASE_BYTES) continue;
    v = r.value;
    applied.push(r.what);
  }
  return { value: v, applied };
}
