import {
  createPublicKey,
  generateKeyPair,
  generateKeyPairSync,
  randomUUID,
  sign,
  verify,
  type JsonWebKey,
  type KeyObject,
} from "node:crypto";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { promisify } from "node:util";
import { randomOcid } from "./random-ids.js";

const generateKeyPairAsync = promisify(generateKeyPair);

export interface ResourcePrincipalOptions {
  compartmentId: string;
  tenancyId?: string | undefined;
  /** Lifetime of the RPST; zero or negative mints an already expired token (for 401 tests). Default 3600. */
  ttlSeconds?: number | undefined;
  /** "files" (default, as OCI Functions does): env vars hold absolute paths; "literal": they hold the token and PEM. */
  mode?: "files" | "literal" | undefined;
  /** Directory for `rpst` and `private.pem` in files mode; default a fresh mkdtemp dir removed on close. */
  dir?: string | undefined;
  /** The `res_id` claim; default a fresh fnfunc OCID. */
  resourceId?: string | undefined;
}

export interface RpstClaims {
  iss: string;
  aud: string;
  sub: string;
  ttype: "res";
  ptype: "resource";
  res_type: "fnfunc";
  res_id: string;
  res_tenant: string;
  res_compartment: string;
  /** The session public key, a JWK serialised as a JSON string. */
  jwk: string;
  iat: number;
  exp: number;
  jti: string;
}

export interface IssuedResourcePrincipal {
  /** The OCI_RESOURCE_PRINCIPAL_* variables a function would see. */
  env: Record<string, string>;
  token: string;
  claims: RpstClaims;
  /** Files mode: where `rpst` and `private.pem` were written. */
  dir?: string;
}

export type TokenCheck =
  | { ok: true; claims: RpstClaims; sessionKey: KeyObject }
  | { ok: false; reason: string };

const b64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");

/**
 * Plays the OCI identity service for resource principals: mints RPSTs signed with its own key,
 * each carrying a fresh session public key, and later checks tokens presented in `keyId="ST$..."`.
 */
export class TokenIssuer {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  // Parsing a JWK and checking RS256 per request would dominate benchmark runs; the token text is the cache key.
  private readonly checked = new Map<string, { claims: RpstClaims; sessionKey: KeyObject }>();
  private readonly createdDirs: string[] = [];

  constructor(pair: { privateKey: KeyObject; publicKey: KeyObject } = generateKeyPairSync("rsa", { modulusLength: 2048 })) {
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
  }

  /** Like `new TokenIssuer()` without blocking the event loop while the RSA key is generated. */
  static async create(): Promise<TokenIssuer> {
    return new TokenIssuer(await generateKeyPairAsync("rsa", { modulusLength: 2048 }));
  }

  /** A JWT signed RS256 with the issuer key; the SDK only decodes it, this emulator verifies it. */
  mint(claims: RpstClaims | Record<string, unknown>, signingKey: KeyObject = this.privateKey): string {
    const head = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "emulator-rpst-issuer" }));
    const body = b64url(JSON.stringify(claims));
    const signature = sign("sha256", Buffer.from(`${head}.${body}`), signingKey);
    return `${head}.${body}.${b64url(signature)}`;
  }

  check(token: string, nowMs: number = Date.now()): TokenCheck {
    let entry = this.checked.get(token);
    if (!entry) {
      const parsed = this.parse(token);
      if (!parsed.ok) return parsed;
      entry = { claims: parsed.claims, sessionKey: parsed.sessionKey };
      this.checked.set(token, entry);
    }
    if (entry.claims.exp * 1000 <= nowMs) return { ok: false, reason: "the security token has expired" };
    return { ok: true, ...entry };
  }

  private parse(token: string): TokenCheck {
    const parts = token.split(".");
    if (parts.length !== 3) return { ok: false, reason: "the security token is not a JWT" };
    const [head, body, sig] = parts as [string, string, string];
    let header: unknown;
    let claims: unknown;
    try {
      header = JSON.parse(Buffer.from(head, "base64url").toString("utf8"));
      claims = JSON.parse(Buffer.from(body, "base64url").toString("utf8"));
    } catch {
      return { ok: false, reason: "the security token is not valid JSON" };
    }
    if (!isRecord(header) || header["alg"] !== "RS256") return { ok: false, reason: "the security token is not RS256" };
    if (!verify("sha256", Buffer.from(`${head}.${body}`), this.publicKey, Buffer.from(sig, "base64url"))) {
      return { ok: false, reason: "the security token was not issued by this emulator" };
    }
    if (!isRecord(claims) || typeof claims["exp"] !== "number" || typeof claims["jwk"] !== "string") {
      return { ok: false, reason: "the security token lacks exp or jwk" };
    }
    let sessionKey: KeyObject;
    try {
      sessionKey = createPublicKey({ key: JSON.parse(claims["jwk"]) as JsonWebKey, format: "jwk" });
    } catch {
      return { ok: false, reason: "the security token's jwk is not a public key" };
    }
    return { ok: true, claims: claims as unknown as RpstClaims, sessionKey };
  }

  /** A session key pair plus an RPST for it, delivered as the env vars OCI Functions sets (version 2.2). */
  async issue(o: ResourcePrincipalOptions, defaultTenancyId: string): Promise<IssuedResourcePrincipal> {
    const { privateKey, publicKey } = await generateKeyPairAsync("rsa", { modulusLength: 2048 });
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const jwk = { ...publicKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" };
    const iat = Math.floor(Date.now() / 1000);
    const resId = o.resourceId ?? randomOcid("fnfunc");
    const claims: RpstClaims = {
      iss: "authService.oracle.com",
      aud: "oci",
      sub: resId,
      ttype: "res",
      ptype: "resource",
      res_type: "fnfunc",
      res_id: resId,
      res_tenant: o.tenancyId ?? defaultTenancyId,
      res_compartment: o.compartmentId,
      jwk: JSON.stringify(jwk),
      iat,
      exp: iat + (o.ttlSeconds ?? 3600),
      jti: randomUUID(),
    };
    const token = this.mint(claims);
    const base = { OCI_RESOURCE_PRINCIPAL_VERSION: "2.2", OCI_RESOURCE_PRINCIPAL_REGION: "us-ashburn-1" };
    if (o.mode === "literal") {
      return { token, claims, env: { ...base, OCI_RESOURCE_PRINCIPAL_RPST: token, OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: pem } };
    }
    let dir: string;
    if (o.dir !== undefined) {
      dir = resolve(o.dir);
      await mkdir(dir, { recursive: true });
    } else {
      dir = await mkdtemp(join(tmpdir(), "oci-rp-"));
      this.createdDirs.push(dir);
    }
    const rpstPath = join(dir, "rpst");
    const pemPath = join(dir, "private.pem");
    await writeFile(rpstPath, token, { mode: 0o600 });
    await writeFile(pemPath, pem, { mode: 0o600 });
    return {
      token,
      claims,
      dir,
      env: { ...base, OCI_RESOURCE_PRINCIPAL_RPST: rpstPath, OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: pemPath },
    };
  }

  /** Removes the temp dirs this issuer created. */
  async cleanup(): Promise<void> {
    const dirs = this.createdDirs.splice(0);
    await Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true })));
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}
