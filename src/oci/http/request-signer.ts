// OCI request signing (draft-cavage HTTP signatures, as oci-common's DefaultRequestSigner writes
// them) with a parsed private key kept between requests. The SDK's signer re-parses the PEM with
// sshpk and hands it to http-signature on every request (~1.9 ms); a cached KeyObject signs in
// the time of the RSA operation itself.

import { createHash, createPrivateKey, sign, type KeyObject } from "node:crypto";
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
const TOKEN_REFRESH_WINDOW_MS = 60_000;

/** `exp` (epoch ms) of a security-token key id ("ST$<jwt>"); infinity for API keys; 0 (ask every time) when unreadable. */
export function tokenExpiry(keyId: string): number {
  if (!keyId.startsWith("ST$")) return Number.POSITIVE_INFINITY;
  try {
    const payload = keyId.split(".")[1] ?? "";
    const exp = (JSON.parse(Buffer.from(payload, "base64url").toString("utf8")) as { exp?: unknown }).exp;
    return typeof exp === "number" ? exp * 1000 : 0;
  } catch {
    return 0;
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
 * The key id and parsed private key of an authentication details provider. The key id is asked for
 * on every request (resource principal and instance principal providers refresh their token there);
 * the private key is re-parsed only when the provider's PEM (or passphrase) changes, which is how
 * a rotated resource principal session key shows up after that refresh.
 */
export class SigningKeys {
  private provider: common.AuthenticationDetailsProvider;
  private resolved = false;
  private pem: string | undefined;
  private passphrase: string | undefined;
  private key: KeyObject | undefined;
  /** How many times a PEM was parsed (tests and benchmarks). */
  parses = 0;
  readonly oboToken: string | undefined;

  constructor(provider: common.AuthenticationDetailsProvider) {
    this.provider = provider;
    const d = provider as common.AuthenticationDetailsProvider & DelegatingProvider;
    // DefaultRequestSigner's rule: a provider with an auth type signs its delegation token too.
    this.oboToken = d.getAuthType?.() ? d.getDelegationToken?.() || undefined : undefined;
  }

  /**
   * The provider's key id, asked again at least every second, on every request in the last minute
   * of a security token's life (the provider refreshes the token there, as the SDK's signer would
   * have it do), and whenever the provider's private key changed (a refresh replaced both).
   */
  async keyId(): Promise<string> {
    const now = Date.now();
    if (this.cachedKeyId !== undefined && now < this.keyIdUntil && this.provider.getPrivateKey() === this.pem) return this.cachedKeyId;
    if (!this.resolved) await this.resolve();
    const id = await this.provider.getKeyId();
    if (id !== this.cachedKeyId) this.tokenExpiry = tokenExpiry(id);
    this.cachedKeyId = id;
    this.keyIdUntil = Math.min(now + KEY_ID_TTL_MS, this.tokenExpiry - TOKEN_REFRESH_WINDOW_MS);
    return id;
  }

  private cachedKeyId: string | undefined;
  private keyIdUntil = 0;
  private tokenExpiry = Number.POSITIVE_INFINITY;

  /**
   * Call after keyId(): a token refresh there may have replaced the key. Synchronous (Node reads
   * the PEM at once); a promise only while a key Node cannot read goes through sshpk, shared by
   * every request that asks meanwhile.
   */
  privateKey(): KeyObject | Promise<KeyObject> {
    const pem = this.provider.getPrivateKey();
    const passphrase = this.provider.getPassphrase() ?? undefined;
    if (this.key !== undefined && pem === this.pem && passphrase === this.passphrase) return this.key;
    const pending = this.pending;
    if (pending !== undefined && pending.pem === pem && pending.passphrase === passphrase) return pending.key;
    const direct = readPem(pem, passphrase);
    if (!(direct instanceof Error)) return this.keep(pem, passphrase, direct);
    const key = convertWithSshpk(pem, passphrase, direct).then(
      (k) => {
        this.pending = undefined;
        return this.keep(pem, passphrase, k);
      },
      (error: unknown) => {
        this.pending = undefined;
        throw error;
      },
    );
    this.pending = { pem, passphrase, key };
    return key;
  }

  private pending: { pem: string; passphrase: string | undefined; key: Promise<KeyObject> } | undefined;

  private keep(pem: string, passphrase: string | undefined, key: KeyObject): KeyObject {
    this.parses++;
    this.key = key;
    this.pem = pem;
    this.passphrase = passphrase;
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
