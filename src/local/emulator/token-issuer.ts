import {
  createHash,
  createPublicKey,
  generateKeyPairSync,
  randomUUID,
  sign,
  verify,
  type JsonWebKey,
  type KeyObject,
} from "node:crypto";
import { renameSync } from "node:fs";
import { mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { KeyPairs, type RsaKeyPair } from "./key-pairs.js";
import { randomOcid } from "./random-ids.js";

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
  /** The current token: rotate() replaces it (and `claims`). */
  token: string;
  claims: RpstClaims;
  /** Files mode: where `rpst` and `private.pem` were written. */
  dir?: string;
  /**
   * Files mode only (literal mode rejects): a new session key pair and a new token (new `jwk`, `iat`,
   * `exp`, `jti`; same resource, compartment and tenancy) written over the same two files, each
   * replaced atomically (key first, then token). Every token this issuer minted stays valid until
   * its own `exp`, so requests signed with the old key keep verifying. The OCI SDK re-reads the files
   * only once its cached token has expired. `ttlSeconds` defaults to the original lifetime.
   */
  rotate(o?: { ttlSeconds?: number | undefined }): Promise<{ token: string; claims: RpstClaims }>;
}

/** Claims of a session token (`oci session authenticate`): a user's token bound to a session key. */
export interface SessionTokenClaims {
  iss: string;
  aud: string;
  sub: string;
  ttype: "login";
  ptype: "user";
  tenant: string;
  jwk: string;
  iat: number;
  exp: number;
  jti: string;
}

export interface SessionTokenOptions {
  /** Default a fresh user OCID. */
  userId?: string | undefined;
  tenancyId?: string | undefined;
  /** Default 3600; zero or negative mints an expired token. */
  ttlSeconds?: number | undefined;
  /** Where to write the files; default a fresh mkdtemp dir removed on close. */
  dir?: string | undefined;
}

/** A session token and everything `SessionAuthDetailProvider` (oci-common) needs to use it. */
export interface IssuedSessionToken {
  tenancyId: string;
  userId: string;
  token: string;
  claims: SessionTokenClaims;
  /** Fingerprint of the session key (the config file requires one). */
  fingerprint: string;
  privateKeyPem: string;
  keyFile: string;
  tokenFile: string;
  /** An OCI config file whose [DEFAULT] profile has security_token_file, key_file, fingerprint, tenancy, region. */
  configFile: string;
}

export type TokenCheck =
  | { ok: true; claims: RpstClaims | SessionTokenClaims; sessionKey: KeyObject }
  | { ok: false; reason: string };

export const EMULATOR_REGION = "us-ashburn-1";

/** OCI's API key fingerprint: MD5 of the DER public key (SubjectPublicKeyInfo), colon-separated hex. */
export function keyFingerprint(publicKey: KeyObject): string {
  const der = publicKey.export({ type: "spki", format: "der" });
  return (createHash("md5").update(der).digest("hex").match(/../g) ?? []).join(":");
}


const b64url = (data: Buffer | string): string => Buffer.from(data).toString("base64url");

/**
 * Plays the OCI identity service for resource principals: mints RPSTs signed with its own key,
 * each carrying a fresh session public key, and later checks tokens presented in `keyId="ST$..."`.
 */
export class TokenIssuer {
  private readonly privateKey: KeyObject;
  private readonly publicKey: KeyObject;
  // Parsing a JWK and checking RS256 per request would dominate benchmark runs; the token text is the cache key.
  private readonly checked = new Map<string, { claims: RpstClaims | SessionTokenClaims; sessionKey: KeyObject }>();
  private readonly createdDirs: string[] = [];

  /** Where this emulator's session keys, API keys and certificate keys come from (key-pairs.ts). */
  readonly keyPairs: KeyPairs;

  constructor(pair: RsaKeyPair = generateKeyPairSync("rsa", { modulusLength: 2048 }), keyPairs: KeyPairs = new KeyPairs()) {
    this.privateKey = pair.privateKey;
    this.publicKey = pair.publicKey;
    this.keyPairs = keyPairs;
  }

  /** Like `new TokenIssuer()` without blocking the event loop, its key the first of an emulator's supply. */
  static async create(): Promise<TokenIssuer> {
    const keyPairs = new KeyPairs();
    return new TokenIssuer(await keyPairs.next(), keyPairs);
  }

  /** A JWT signed RS256 with the issuer key; the SDK only decodes it, this emulator verifies it. */
  mint(claims: RpstClaims | SessionTokenClaims | Record<string, unknown>, signingKey: KeyObject = this.privateKey): string {
    const head = b64url(JSON.stringify({ alg: "RS256", typ: "JWT", kid: "emulator-rpst-issuer" }));
    const body = b64url(JSON.stringify(claims));
    const signature = sign("sha256", Buffer.from(`${head}.${body}`), signingKey);
    return `${head}.${body}.${b64url(signature)}`;
  }

  /** A fresh directory removed by cleanup(), or `dir` (created if missing, left in place). */
  async makeDir(dir: string | undefined, prefix: string): Promise<string> {
    if (dir !== undefined) {
      const d = resolve(dir);
      await mkdir(d, { recursive: true });
      return d;
    }
    const d = await mkdtemp(join(tmpdir(), prefix));
    this.createdDirs.push(d);
    return d;
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
    return { ok: true, claims: claims as unknown as RpstClaims | SessionTokenClaims, sessionKey };
  }

  /** A session key pair plus an RPST for it, delivered as the env vars OCI Functions sets (version 2.2). */
  async issue(o: ResourcePrincipalOptions, defaultTenancyId: string): Promise<IssuedResourcePrincipal> {
    const resId = o.resourceId ?? randomOcid("fnfunc");
    const ttlSeconds = o.ttlSeconds ?? 3600;
    const subject = { resId, tenancyId: o.tenancyId ?? defaultTenancyId, compartmentId: o.compartmentId };
    const first = await this.mintRpst(subject, ttlSeconds);
    const base = { OCI_RESOURCE_PRINCIPAL_VERSION: "2.2", OCI_RESOURCE_PRINCIPAL_REGION: EMULATOR_REGION };
    if (o.mode === "literal") {
      return {
        token: first.token,
        claims: first.claims,
        env: { ...base, OCI_RESOURCE_PRINCIPAL_RPST: first.token, OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: first.pem },
        rotate: () => Promise.reject(new Error("rotate() needs a files-mode resource principal: literal env vars cannot change")),
      };
    }
    const dir = await this.makeDir(o.dir, "oci-rp-");
    const rpstPath = join(dir, "rpst");
    const pemPath = join(dir, "private.pem");
    await writeFile(rpstPath, first.token, { mode: 0o600 });
    await writeFile(pemPath, first.pem, { mode: 0o600 });
    let rotations = 0;
    const issued: IssuedResourcePrincipal = {
      token: first.token,
      claims: first.claims,
      dir,
      env: { ...base, OCI_RESOURCE_PRINCIPAL_RPST: rpstPath, OCI_RESOURCE_PRINCIPAL_PRIVATE_PEM: pemPath },
      rotate: async (r = {}) => {
        const next = await this.mintRpst(subject, r.ttlSeconds ?? ttlSeconds);
        const n = ++rotations;
        const tmpPem = `${pemPath}.${n}.tmp`;
        const tmpRpst = `${rpstPath}.${n}.tmp`;
        await writeFile(tmpPem, next.pem, { mode: 0o600 });
        await writeFile(tmpRpst, next.token, { mode: 0o600 });
        // Renames replace each file whole; back to back, so a reader (the SDK reads the key, then the
        // token, synchronously) almost never sees a new key with the old token.
        renameSync(tmpPem, pemPath);
        renameSync(tmpRpst, rpstPath);
        issued.token = next.token;
        issued.claims = next.claims;
        return { token: next.token, claims: next.claims };
      },
    };
    return issued;
  }

  /** Same as `issued.rotate(o)`. */
  rotate(issued: IssuedResourcePrincipal, o?: { ttlSeconds?: number | undefined }): Promise<{ token: string; claims: RpstClaims }> {
    return issued.rotate(o);
  }

  private async mintRpst(
    s: { resId: string; tenancyId: string; compartmentId: string },
    ttlSeconds: number,
  ): Promise<{ token: string; claims: RpstClaims; pem: string }> {
    const { privateKey, publicKey } = await this.keyPairs.nextSession();
    const pem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const jwk = { ...publicKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" };
    const iat = Math.floor(Date.now() / 1000);
    const claims: RpstClaims = {
      iss: "authService.oracle.com",
      aud: "oci",
      sub: s.resId,
      ttype: "res",
      ptype: "resource",
      res_type: "fnfunc",
      res_id: s.resId,
      res_tenant: s.tenancyId,
      res_compartment: s.compartmentId,
      jwk: JSON.stringify(jwk),
      iat,
      exp: iat + ttlSeconds,
      jti: randomUUID(),
    };
    return { token: this.mint(claims), claims, pem };
  }

  /**
   * A user session token, as `oci session authenticate` leaves it: the token file, the session
   * private key, and a config profile for oci-common's SessionAuthDetailProvider (keyId "ST$<token>").
   */
  async issueSessionToken(o: SessionTokenOptions, defaultTenancyId: string): Promise<IssuedSessionToken> {
    const { privateKey, publicKey } = await this.keyPairs.next();
    const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const userId = o.userId ?? randomOcid("user");
    const tenancyId = o.tenancyId ?? defaultTenancyId;
    const iat = Math.floor(Date.now() / 1000);
    const claims: SessionTokenClaims = {
      iss: "authService.oracle.com",
      aud: "oci",
      sub: userId,
      ttype: "login",
      ptype: "user",
      tenant: tenancyId,
      jwk: JSON.stringify({ ...publicKey.export({ format: "jwk" }), kid: randomUUID(), alg: "RS256", use: "sig" }),
      iat,
      exp: iat + (o.ttlSeconds ?? 3600),
      jti: randomUUID(),
    };
    const token = this.mint(claims);
    const fingerprint = keyFingerprint(publicKey);
    const dir = await this.makeDir(o.dir, "oci-session-");
    const keyFile = join(dir, "oci_api_key.pem");
    const tokenFile = join(dir, "token");
    const configFile = join(dir, "config");
    await writeFile(keyFile, privateKeyPem, { mode: 0o600 });
    await writeFile(tokenFile, token, { mode: 0o600 });
    await writeFile(
      configFile,
      ["[DEFAULT]", `fingerprint=${fingerprint}`, `key_file=${keyFile}`, `tenancy=${tenancyId}`, `region=${EMULATOR_REGION}`, `security_token_file=${tokenFile}`, ""].join("\n"),
      { mode: 0o600 },
    );
    return { tenancyId, userId, token, claims, fingerprint, privateKeyPem, keyFile, tokenFile, configFile };
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
