import { createHash, verify, type KeyObject } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";
import type { ApiKeyRegistry } from "./api-keys.js";
import type { RpstClaims, SessionTokenClaims, TokenIssuer } from "./token-issuer.js";

export interface SignedRequest {
  method: string;
  /** Path and query exactly as received: the `(request-target)` the client signed. */
  rawTarget: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
  /** PutObject and UploadPart: the SDK signs only `x-date (request-target) host` for these. */
  bodyUnsigned: boolean;
}

/** Who signed a request. */
export type Caller =
  /** A resource principal (OCI Functions): keyId "ST$<RPST>". */
  | { type: "resource"; tenancyId: string; compartmentId: string; claims: RpstClaims }
  /** An API signing key from a config file: keyId "<tenancy>/<user>/<fingerprint>". */
  | { type: "user"; tenancyId: string; userId: string; fingerprint: string }
  /** A user session token (`oci session authenticate`): keyId "ST$<token>". */
  | { type: "session"; tenancyId: string; userId: string; claims: SessionTokenClaims };

export type SignatureCheck = { ok: true; caller: Caller } | { ok: false; reason: string };

const MAX_SKEW_MS = 5 * 60 * 1000;
const BODY_METHODS = new Set(["POST", "PUT", "PATCH"]);
const BODY_HEADERS = ["content-type", "content-length", "x-content-sha256"] as const;

/**
 * Checks an OCI HTTP signature (draft-cavage, as oci-common's DefaultRequestSigner writes it) made
 * with a resource principal or session key (the token must be this emulator's and unexpired) or
 * with a user's API key (the keyId must name a key issued by `apiKeys`), covering the request line,
 * host, date and, for bodies, their length and SHA-256.
 */
export function verifySignature(
  req: SignedRequest,
  issuer: TokenIssuer,
  nowMs: number = Date.now(),
  apiKeys?: ApiKeyRegistry,
): SignatureCheck {
  const authorization = header(req.headers, "authorization");
  if (!authorization) return fail("the request has no Authorization header");
  if (!authorization.startsWith("Signature ")) return fail("the Authorization header is not an OCI signature");
  const params = new Map<string, string>();
  for (const m of authorization.slice("Signature ".length).matchAll(/([A-Za-z]+)="([^"]*)"/g)) {
    params.set((m[1] as string).toLowerCase(), m[2] as string);
  }
  if (params.get("version") !== "1") return fail('the signature version is not "1"');
  if (params.get("algorithm") !== "rsa-sha256") return fail("the signature algorithm is not rsa-sha256");
  const keyId = params.get("keyid") ?? "";
  const signature = params.get("signature");
  if (!signature) return fail("the signature is missing");

  let caller: Caller;
  let publicKey: KeyObject;
  if (keyId.startsWith("ST$")) {
    const token = issuer.check(keyId.slice(3), nowMs);
    if (!token.ok) return fail(token.reason);
    publicKey = token.sessionKey;
    const c = token.claims;
    caller =
      c.ptype === "resource"
        ? { type: "resource", tenancyId: c.res_tenant, compartmentId: c.res_compartment, claims: c }
        : { type: "session", tenancyId: c.tenant, userId: c.sub, claims: c };
  } else {
    if (!apiKeys) return fail("the keyId is not a security token (ST$...)");
    const found = apiKeys.lookup(keyId);
    if (!found.ok) return fail(found.reason);
    publicKey = found.entry.publicKey;
    caller = { type: "user", tenancyId: found.entry.tenancyId, userId: found.entry.userId, fingerprint: found.entry.fingerprint };
  }

  // The SDK keeps the capitalisation of Content-Type and Content-Length in the list; header names are case-insensitive.
  const signed = (params.get("headers") ?? "date").split(" ").filter(Boolean).map((h) => h.toLowerCase());
  const dateHeader = signed.includes("x-date") ? "x-date" : signed.includes("date") ? "date" : undefined;
  if (!signed.includes("(request-target)") || !signed.includes("host") || !dateHeader) {
    return fail("the signature must cover (request-target), host and x-date");
  }
  const date = Date.parse(header(req.headers, dateHeader) ?? "");
  if (Number.isNaN(date)) return fail(`the ${dateHeader} header is not a date`);
  if (Math.abs(nowMs - date) > MAX_SKEW_MS) return fail(`the ${dateHeader} header is more than 5 minutes off`);

  const method = req.method.toUpperCase();
  if (BODY_METHODS.has(method) && !req.bodyUnsigned) {
    for (const h of BODY_HEADERS) if (!signed.includes(h)) return fail(`the signature of a ${method} must cover ${h}`);
  }
  if (signed.includes("x-content-sha256")) {
    const sha = createHash("sha256").update(req.body).digest("base64");
    if (header(req.headers, "x-content-sha256") !== sha) return fail("x-content-sha256 does not match the body");
  }
  if (signed.includes("content-length") && header(req.headers, "content-length") !== String(req.body.length)) {
    return fail("content-length does not match the body");
  }

  const lines: string[] = [];
  for (const name of signed) {
    if (name === "(request-target)") {
      lines.push(`(request-target): ${method.toLowerCase()} ${req.rawTarget}`);
      continue;
    }
    const value = header(req.headers, name);
    if (value === undefined) return fail(`the signed header ${name} is missing`);
    lines.push(`${name}: ${value}`);
  }
  const valid = verify("sha256", Buffer.from(lines.join("\n"), "utf8"), publicKey, Buffer.from(signature, "base64"));
  return valid ? { ok: true, caller } : fail("the signature does not match the request");
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(", ") : v;
}

const fail = (reason: string): SignatureCheck => ({ ok: false, reason });
