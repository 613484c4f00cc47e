import { randomBytes } from "node:crypto";

const ALNUM = "abcdefghijklmnopqrstuvwxyz0123456789";

// Every request gets an id and every version an id and an ETag: one randomBytes call each was
// the emulator's largest own cost in the test suite, so ids are cut from a pooled 4 KiB.
let pool = Buffer.alloc(0);
let used = 0;

function bytes(n: number): Buffer {
  if (used + n > pool.length) {
    pool = randomBytes(4096);
    used = 0;
  }
  const out = pool.subarray(used, used + n);
  used += n;
  return out;
}

/** A uniform integer in [0, n) for n ≤ 256 (rejection sampling on pooled bytes). */
function below(n: number): number {
  const limit = 256 - (256 % n);
  for (;;) {
    const b = bytes(1)[0] as number;
    if (b < limit) return b % n;
  }
}

// OCIDs of these kinds are realm-wide, so real ones carry no region segment ("ocid1.compartment.oc1..xyz").
const REGIONLESS_KINDS = new Set(["tenancy", "compartment", "user", "group", "dynamicgroup", "policy"]);

export function randomAlnum(length: number): string {
  let out = "";
  for (let i = 0; i < length; i++) out += ALNUM[below(ALNUM.length)];
  return out;
}

/** An OCID shaped like a real one, e.g. `ocid1.key.oc1.iad.<60 lowercase alnum>`. */
export function randomOcid(kind: string): string {
  const region = REGIONLESS_KINDS.has(kind) ? "" : "iad";
  return `ocid1.${kind}.oc1.${region}.${randomAlnum(60)}`;
}

/**
 * Object version ids are base64 that always holds `+` and `/` and ends with `=`, so a caller that
 * puts one in a query string without encoding it breaks here exactly as it would against OCI.
 */
export function randomVersionId(): string {
  // 11 bytes encode to 15 characters plus one "=" of padding.
  const chars = bytes(11).toString("base64").split("");
  if (!chars.includes("+")) chars[below(7)] = "+";
  if (!chars.includes("/")) {
    let at = below(15);
    while (chars[at] === "+") at = (at + 1) % 15;
    chars[at] = "/";
  }
  return "v" + chars.join("");
}

/** Like an OCI `opc-request-id`: opaque, unique, safe in a header. */
export function randomRequestId(): string {
  return bytes(16).toString("hex").toUpperCase();
}

export function randomEtag(): string {
  const h = bytes(16).toString("hex");
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}
