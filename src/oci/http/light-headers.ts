// The Fetch standard's Headers, for the requests oci-common composes (composeRequest builds every
// request's headers with `new Headers()`). Node's global Headers is undici's: the first use
// evaluates all of Node's fetch (45–60 ms of CPU here), which every container then paid on its
// first OCI call though our HTTP client never uses fetch. The bundles get this class in place of
// the global (esbuild `inject`, scripts/build.mjs); it behaves as Node's for what a request needs
// (test/unit/light-headers.test.ts compares the two operation by operation).

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
// Leading and trailing HTTP whitespace is removed; inside a value NUL, CR and LF are refused.
const EDGE_WHITESPACE = /^[\t\n\r ]+|[\t\n\r ]+$/g;
const FORBIDDEN_IN_VALUE = /[\0\r\n]/;
const NOT_BYTE = /[^\u0000-\u00ff]/;

type Init = Iterable<readonly [string, string]> | Record<string, string> | LightHeaders;

function checkedName(name: unknown, op: string): string {
  const s = String(name);
  if (!TOKEN.test(s)) throw new TypeError(`Headers.${op}: "${s}" is an invalid header name.`);
  return s.toLowerCase();
}

function checkedValue(value: unknown, op: string): string {
  const s = String(value).replace(EDGE_WHITESPACE, "");
  if (FORBIDDEN_IN_VALUE.test(s) || NOT_BYTE.test(s)) throw new TypeError(`Headers.${op}: the header value is invalid.`);
  return s;
}

export class LightHeaders {
  // Lower-case name → values in the order appended (set-cookie values stay apart, as in the standard).
  private readonly map = new Map<string, string[]>();

  constructor(init?: Init) {
    // null is refused (a TypeError reading it), as Node's Headers refuses it.
    if (init === undefined) return;
    if (typeof (init as Iterable<unknown>)[Symbol.iterator] === "function") {
      for (const pair of init as Iterable<readonly [string, string]>) {
        if (pair.length !== 2) throw new TypeError("Headers constructor: expected name/value pair to be length 2.");
        this.append(pair[0], pair[1]);
      }
      return;
    }
    for (const [name, value] of Object.entries(init)) this.append(name, value);
  }

  append(name: string, value: string): void {
    const n = checkedName(name, "append");
    const v = checkedValue(value, "append");
    const values = this.map.get(n);
    if (values) values.push(v);
    else this.map.set(n, [v]);
  }

  set(name: string, value: string): void {
    this.map.set(checkedName(name, "set"), [checkedValue(value, "set")]);
  }

  get(name: string): string | null {
    const values = this.map.get(checkedName(name, "get"));
    return values === undefined ? null : values.join(", ");
  }

  has(name: string): boolean {
    return this.map.has(checkedName(name, "has"));
  }

  delete(name: string): void {
    this.map.delete(checkedName(name, "delete"));
  }

  getSetCookie(): string[] {
    return [...(this.map.get("set-cookie") ?? [])];
  }

  forEach(callback: (value: string, name: string, parent: LightHeaders) => void, thisArg?: unknown): void {
    for (const [name, value] of this.entries()) callback.call(thisArg, value, name, this);
  }

  /** Sorted by name, each name once with its values joined, except set-cookie: as the standard iterates. */
  *entries(): IterableIterator<[string, string]> {
    for (const name of [...this.map.keys()].sort()) {
      const values = this.map.get(name) ?? [];
      if (name === "set-cookie") for (const v of values) yield [name, v];
      else yield [name, values.join(", ")];
    }
  }

  *keys(): IterableIterator<string> {
    for (const [name] of this.entries()) yield name;
  }

  *values(): IterableIterator<string> {
    for (const [, value] of this.entries()) yield value;
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries();
  }

  get [Symbol.toStringTag](): string {
    return "Headers";
  }
}
