import type { KeyObject } from "node:crypto";
import { writeFile } from "node:fs/promises";
import { join } from "node:path";
import { randomOcid } from "./random-ids.js";
import { EMULATOR_REGION, keyFingerprint, type TokenIssuer } from "./token-issuer.js";

export interface ApiKeyOptions {
  /** Default a fresh user OCID. */
  userId?: string | undefined;
  /** Where to write the PEM and the config file; default a fresh mkdtemp dir removed on close. */
  dir?: string | undefined;
}

/** An API signing key as an operator has it: the PEM and an OCI CLI / SDK config file pointing at it. */
export interface IssuedApiKey {
  tenancyId: string;
  userId: string;
  /** MD5 of the DER public key, colon-separated hex, as the Console shows it. */
  fingerprint: string;
  privateKeyPem: string;
  /** The PEM, written with mode 0600. */
  keyFile: string;
  /** `[DEFAULT]` profile with user, fingerprint, tenancy, region and key_file. */
  configFile: string;
}

export interface ApiKeyEntry {
  tenancyId: string;
  userId: string;
  fingerprint: string;
  publicKey: KeyObject;
}

/**
 * Plays IAM for API signing keys: keys uploaded for users of this emulator's tenancy, found by the
 * keyId oci-common's ConfigFileAuthenticationDetailsProvider signs with, `<tenancy>/<user>/<fingerprint>`.
 */
export class ApiKeyRegistry {
  private readonly keys = new Map<string, ApiKeyEntry>();

  constructor(
    private readonly issuer: TokenIssuer,
    private readonly tenancyId: () => string,
  ) {}

  async issue(o: ApiKeyOptions = {}): Promise<IssuedApiKey> {
    const { privateKey, publicKey } = await this.issuer.keyPairs.next();
    const privateKeyPem = privateKey.export({ type: "pkcs8", format: "pem" }).toString();
    const tenancyId = this.tenancyId();
    const userId = o.userId ?? randomOcid("user");
    const fingerprint = keyFingerprint(publicKey);
    this.keys.set(`${tenancyId}/${userId}/${fingerprint}`, { tenancyId, userId, fingerprint, publicKey });
    const dir = await this.issuer.makeDir(o.dir, "oci-apikey-");
    const keyFile = join(dir, "oci_api_key.pem");
    const configFile = join(dir, "config");
    await writeFile(keyFile, privateKeyPem, { mode: 0o600 });
    const profile = ["[DEFAULT]", `user=${userId}`, `fingerprint=${fingerprint}`, `tenancy=${tenancyId}`, `region=${EMULATOR_REGION}`, `key_file=${keyFile}`, ""];
    await writeFile(configFile, profile.join("\n"), { mode: 0o600 });
    return { tenancyId, userId, fingerprint, privateKeyPem, keyFile, configFile };
  }

  /** The key a `<tenancy>/<user>/<fingerprint>` keyId names, or why there is none. */
  lookup(keyId: string): { ok: true; entry: ApiKeyEntry } | { ok: false; reason: string } {
    const parts = keyId.split("/");
    if (parts.length !== 3 || parts.some((p) => p === "")) {
      return { ok: false, reason: "the keyId is neither a security token (ST$...) nor <tenancy>/<user>/<fingerprint>" };
    }
    const entry = this.keys.get(keyId);
    if (entry) return { ok: true, entry };
    const [tenancy, user] = parts as [string, string, string];
    if (tenancy !== this.tenancyId()) return { ok: false, reason: `the keyId names tenancy ${tenancy}, not this emulator's` };
    const known = [...this.keys.values()].some((k) => k.userId === user);
    return {
      ok: false,
      reason: known ? "the keyId's fingerprint matches no API key of that user" : "the keyId names a user with no API key in this emulator",
    };
  }

  /** Deletes a user's key, as removing it in the Console would: its keyId then fails with 401. */
  revoke(fingerprint: string): boolean {
    for (const [id, k] of this.keys) {
      if (k.fingerprint === fingerprint) {
        this.keys.delete(id);
        return true;
      }
    }
    return false;
  }
}
