// OCI request signing (draft-cavage HTTP signatures, as oci-common's DefaultRequestSigner writes
// them) with a parsed private key kept between requests. The SDK's signer re-parses the PEM with
// sshpk and hands it to http-signature on every request (~1.9 ms); a cached KeyObject signs in
// the time of the RSA operation itself.

import { createHash, createPrivateKey, createPublicKey, sign, type KeyObject } from "node:crypto";
import type * as common from "oci-common";

/** base64(SHA-256("")): what the SDK sends for a POST/PUT/PATCH without a body. */
export const EMPTY_BODY_SHA256 = "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=";

/** Methods whose signature covers the body (unless the operation excludes it: PutObject, UploadPart). */
export const BODY_SIGNED_METHODS: ReadonlySet<string> = new Set(["POST", "PUT", "PATCH"]);

export interface SignedBody {
  contentType: string;
  contentLength: string;
  sha256: string;
}

export interface SigningInput {
  /** As sent (the SDK's methods are upper case); lowercased in the signing string. */
  method: string;
  /** Path and query exactly as sent. */
  target: string;
  host: string;
  xDate: string;
  /** Present when the signature covers the body headers. */
  body?: SignedBody | undefined;
  /** The delegation token of a delegated (OBO) provider, signed as `opc-obo-token`. */
  oboToken?: string | undefined;
}

/** The `headers="…"` list and the text signed, in DefaultRequestSigner's order and spelling. */
export function signingString(p: SigningInput): { headers: string; text: string } {
  let headers = "x-date (request-target) host";
  let text = `x-date: ${p.xDate}\n(request-target): ${p.method.toLowerCase()} ${p.target}\nhost: ${p.host}`;
  if (p.oboToken !== undefined) {
    headers += " opc-obo-token";
    text += `\nopc-obo-token: ${p.oboToken}`;
  }
  if (p.body !== undefined) {
    // The SDK lists these two with capitals; the signed lines are lower case (http-signature).
    headers += " Content-Type Content-Length x-content-sha256";
    text += `\ncontent-type: ${p.body.contentType}\ncontent-length: ${p.body.contentLength}\nx-content-sha256: ${p.body.sha256}`;
  }
  return { headers, text };
}

export function authorizationHeader(keyId: string, headers: string, signature: string): string {
  return `Signature version="1",keyId="${keyId}",algorithm="rsa-sha256",headers="${headers}",signature="${signature}"`;
}

export function sha256Base64(body: string | Buffer): string {
  return createHash("sha256").update(body).digest("base64");
}

const KEY_ID_TTL_MS = 1_000;
/** The last part of a security token's life in which it is refreshed ahead: half its life, 1 to 60 s. */
const REFRESH_WINDOW = { fraction: 0.5, minMs: 1_000, maxMs: 60_000 };
/** Refreshes ahead of expiry are tried at most this often (the files may not have been replaced yet; each try re-reads them, ~2 ms). */
const REFRESH_EVERY_MS = 250;

export interface TokenLife {
  /** epoch ms; infinity for API keys; 0 (unknown: ask every time) when a security token is unreadable. */
  expiresAt: number;
  /** Inside this many ms of expiresAt the token is refreshed ahead, where the provider can. */
  refreshWindowMs: number;
  /** The RSA modulus of the session key the token names (its `jwk` claim), when it has one. */
  keyModulus?: string;
}

/** When a key id's security token ("ST$<jwt>") expires, and how early to refresh it. */
export function tokenLife(keyId: string): TokenLife {
  if (!keyId.startsWith("ST$")) return { expiresAt: Number.POSITIVE_INFINITY, refreshWindowMs: 0 };
  try {
    const claims = JSON.parse(Buffer.from(keyId.split(".")[1] ?? "", "base64url").toString("utf8")) as { exp?: unknown; iat?: unknown; jwk?: unknown };
    if (typeof claims.exp !== "number") return { expiresAt: 0, refreshWindowMs: 0 };
    const lifeMs = typeof claims.iat === "number" ? (claims.exp - claims.iat) * 1000 : REFRESH_WINDOW.maxMs / REFRESH_WINDOW.fraction;
    const refreshWindowMs = Math.min(REFRESH_WINDOW.maxMs, Math.max(REFRESH_WINDOW.minMs, lifeMs * REFRESH_WINDOW.fraction));
    const jwk = (typeof claims.jwk === "string" ? JSON.parse(claims.jwk) : claims.jwk) as { n?: unknown } | undefined;
    return { expiresAt: claims.exp * 1000, refreshWindowMs, ...(typeof jwk?.n === "string" ? { keyModulus: jwk.n } : {}) };
  } catch {
    return { expiresAt: 0, refreshWindowMs: 0 };
  }
}

/** What a provider may additionally offer (config-file profiles with a delegation token or an auth type). */
interface DelegatingProvider {
  getAuthType?(): string | undefined;
  getDelegationToken?(): string;
  getProvider?(): common.AuthenticationDetailsProvider | undefined;
  setProvider?(p: common.AuthenticationDetailsProvider): void;
}

/**
 * The key id and parsed private key of an authentication details provider, kept between requests:
 * the private key is re-parsed only when the provider's PEM (or passphrase) changes, which is how a
 * rotated resource principal session key shows up after the provider's refresh.
 */
export class SigningKeys {
  private provider: common.AuthenticationDetailsProvider;
  private resolved = false;
  /** Parsed keys by PEM (and passphrase): the current one and the one before, at most. */
  private parsed = new Map<string, KeyObject>();
  private pending: { id: string; key: Promise<KeyObject> } | undefined;
  /** The pair requests are signed with, while the provider's PEM is still `pem` and before `until`. */
  private current: { keyId: string; key: KeyObject; pem: string; until: number; life: TokenLife } | undefined;
  private lives = new Map<string, TokenLife>();
  private nextRefresh = 0;
  private moduli = new WeakMap<KeyObject, string>();
  private checkKeys = true;
  /** How many times a PEM was parsed; refreshes asked of the provider ahead of expiry (tests). */
  parses = 0;
  refreshes = 0;
  readonly oboToken: string | undefined;

  constructor(provider: common.AuthenticationDetailsProvider) {
    this.provider = provider;
    const d = provider as common.AuthenticationDetailsProvider & DelegatingProvider;
    // DefaultRequestSigner's rule: a provider with an auth type signs its delegation token too.
    this.oboToken = d.getAuthType?.() ? d.getDelegationToken?.() || undefined : undefined;
  }

  /**
   * The key id and the private key to sign one request with, as a pair that belongs together:
   *  - read the provider's PEM, ask for the key id (a resource or instance principal refreshes an
   *    expired token there, replacing the key too), read the PEM again, and ask again if another
   *    request's refresh changed it meanwhile;
   *  - the key id is asked for again at least every second, and on every request once a security
   *    token is in its refresh window (the last half of its life, at most a minute); there, a
   *    provider that can refresh (resource and instance principals) is asked to, at most four
   *    times a second, so a token is not sent in its last moments when newer credentials exist
   *    (OCI Functions writes them before the old token expires; the SDK re-reads them only after);
   *  - a token that names its session key (`jwk`) is used only with that key: a refresh that caught
   *    a rotation half-written (new key file, old token file) keeps signing with the pair before
   *    while that token lives, and refreshes again soon.
   */
  async credentials(): Promise<{ keyId: string; key: KeyObject }> {
    for (let attempt = 0; ; attempt++) {
      const before = this.provider.getPrivateKey();
      const cur = this.current;
      if (cur !== undefined && before === cur.pem && Date.now() < cur.until) return cur;
      if (!this.resolved) await this.resolve();
      const keyId = await this.provider.getKeyId();
      const life = this.lifeOf(keyId);
      const refreshAt = life.expiresAt - life.refreshWindowMs;
      if (Date.now() >= refreshAt && this.mayRefresh(life) && (await this.refresh())) continue;
      const after = this.provider.getPrivateKey();
      if (after !== before && attempt < 3) continue;
      const k = this.keyFor(after);
      const key = k instanceof Promise ? await k : k;
      if (this.checkKeys && !this.belongs(life, key)) {
        // A half-written rotation: the previous pair while its token lives, and another look soon.
        this.nextRefresh = 0;
        const prev = this.current;
        if (prev !== undefined && Date.now() < prev.life.expiresAt - REFRESH_WINDOW.minMs) return prev;
        if (attempt < 2 && this.mayRefresh(life)) {
          await new Promise((r) => setTimeout(r, 25));
          if (await this.refresh()) continue;
        }
        // Still apart after refreshing: this provider's tokens do not name the signing key. As the SDK: no check.
        this.checkKeys = false;
      }
      this.current = { keyId, key, pem: after, until: Math.min(Date.now() + KEY_ID_TTL_MS, refreshAt), life };
      return this.current;
    }
  }

  private lifeOf(keyId: string): TokenLife {
    let life = this.lives.get(keyId);
    if (life === undefined) {
      life = tokenLife(keyId);
      if (this.lives.size > 8) this.lives.clear();
      this.lives.set(keyId, life);
    }
    return life;
  }

  private mayRefresh(life: TokenLife): boolean {
    const p = this.provider as common.AuthenticationDetailsProvider & { refresh?: unknown };
    return life.expiresAt > 0 && Number.isFinite(life.expiresAt) && typeof p.refresh === "function" && Date.now() >= this.nextRefresh;
  }

  /** Asks the provider to re-read its credentials; false when it failed (its own refresh on expiry still applies). */
  private async refresh(): Promise<boolean> {
    this.nextRefresh = Date.now() + REFRESH_EVERY_MS;
    try {
      await (this.provider as unknown as { refresh: () => Promise<unknown> }).refresh();
      this.refreshes++;
      return true;
    } catch {
      return false;
    }
  }

  /** Whether the token names this key (or names none). */
  private belongs(life: TokenLife, key: KeyObject): boolean {
    if (life.keyModulus === undefined) return true;
    let n = this.moduli.get(key);
    if (n === undefined) {
      n = String(createPublicKey(key).export({ format: "jwk" }).n);
      this.moduli.set(key, n);
    }
    return n === life.keyModulus;
  }

  /**
   * The parsed key for a PEM: synchronous (Node reads the PEM at once); a promise only while a key
   * Node cannot read goes through sshpk, shared by every request that asks meanwhile.
   */
  private keyFor(pem: string): KeyObject | Promise<KeyObject> {
    const passphrase = this.provider.getPassphrase() ?? undefined;
    const id = passphrase === undefined ? pem : `${passphrase}\n${pem}`;
    const known = this.parsed.get(id);
    if (known !== undefined) return known;
    if (this.pending?.id === id) return this.pending.key;
    const direct = readPem(pem, passphrase);
    if (!(direct instanceof Error)) return this.keep(id, direct);
    const key = convertWithSshpk(pem, passphrase, direct).then(
      (k) => {
        this.pending = undefined;
        return this.keep(id, k);
      },
      (error: unknown) => {
        this.pending = undefined;
        throw error;
      },
    );
    this.pending = { id, key };
    return key;
  }

  private keep(id: string, key: KeyObject): KeyObject {
    this.parses++;
    // The key in use and the one before it (a half-written rotation may still need it).
    if (this.parsed.size >= 2) {
      const inUse = this.current?.key;
      for (const [k, v] of this.parsed) if (v !== inUse) this.parsed.delete(k);
    }
    this.parsed.set(id, key);
    return key;
  }

  sign(text: string, key: KeyObject): string {
    return sign("sha256", Buffer.from(text, "utf8"), key).toString("base64");
  }

  // DefaultRequestSigner's delegateAuthProvider: a config-file profile may stand for another provider.
  private async resolve(): Promise<void> {
    const d = this.provider as common.AuthenticationDetailsProvider & DelegatingProvider;
    const inner = d.getProvider?.();
    if (inner) this.provider = inner;
    else if (d.getAuthType?.() === "instance_principal") {
      const { InstancePrincipalsAuthenticationDetailsProviderBuilder } = await import("oci-common");
      const p = await new InstancePrincipalsAuthenticationDetailsProviderBuilder().build();
      d.setProvider?.(p);
      this.provider = p;
    }
    this.resolved = true;
  }
}

/** Node reads PKCS#1 and PKCS#8 PEM, encrypted or not; the error otherwise. */
function readPem(pem: string, passphrase: string | undefined): KeyObject | Error {
  try {
    return createPrivateKey(passphrase === undefined ? { key: pem, format: "pem" } : { key: pem, format: "pem", passphrase });
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
}

/** Anything else (an OpenSSH-format key, say) goes through sshpk's conversion, as the SDK's signer always did. */
async function convertWithSshpk(pem: string, passphrase: string | undefined, first: Error): Promise<KeyObject> {
  let converted: Buffer;
  try {
    const mod = (await import("sshpk")) as unknown as typeof import("sshpk") & { default?: typeof import("sshpk") };
    const sshpk = mod.default ?? mod;
    converted = sshpk.parsePrivateKey(pem, "auto", passphrase === undefined ? {} : { passphrase }).toBuffer("pem", {});
  } catch {
    throw new Error(`the private key cannot be read (${first.message})`);
  }
  return createPrivateKey({ key: converted, format: "pem" });
}

/** The key a PEM (with its passphrase) holds, as SigningKeys reads it. */
export async function parsePrivateKey(pem: string, passphrase: string | undefined): Promise<KeyObject> {
  const direct = readPem(pem, passphrase);
  return direct instanceof Error ? convertWithSshpk(pem, passphrase, direct) : direct;
}
