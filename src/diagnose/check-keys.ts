import { sseCKeyFromSecretContent } from "../keys/sse-c-key.js";
import type { KeyInfo, KeyManagement, VaultInfo } from "../oci/key-management.js";
import type { Deadlines } from "../runtime/deadline.js";
import type { CallBudget, Runtime } from "../runtime/runtime.js";
import { failureOf, isDenied, said, type Checklist } from "./checklist.js";

export interface KeyUse {
  keyId: string;
  /** Named by REENCRYPT_RULES: its rotation must reach the function. */
  byRule: boolean;
  /** Listed in REENCRYPT_ALLOWED_KEYS. */
  allowed: boolean;
}

export type Located = { found: true; vault: VaultInfo; key: KeyInfo } | { found: false; reason: string };

/** Every vault of `compartments` (ACTIVE ones), asked once per invocation. */
async function vaultsOf(kms: KeyManagement, compartments: string[]): Promise<{ vaults: VaultInfo[]; errors: string[] }> {
  const vaults: VaultInfo[] = [];
  const errors: string[] = [];
  for (const c of compartments) {
    try {
      vaults.push(...(await kms.listVaults(c)).filter((v) => v.lifecycleState === "ACTIVE"));
    } catch (error) {
      errors.push(`ListVaults in ${c}: ${said(failureOf(error))}`);
    }
  }
  return { vaults, errors };
}

/** The vault holding `keyId`: the one whose endpoint names the key OCID's vault part first, then every other. */
async function locateKey(kms: KeyManagement, keyId: string, vaults: VaultInfo[], listErrors: string[], stopAt: number): Promise<Located> {
  const fragment = keyId.split(".")[4] ?? "";
  const ordered = [...vaults].sort((a, b) => Number(b.managementEndpoint.includes(fragment)) - Number(a.managementEndpoint.includes(fragment)));
  const errors = [...listErrors];
  for (const vault of ordered) {
    if (Date.now() > stopAt) return { found: false, reason: "no time left to ask every vault" };
    try {
      const key = await kms.getKey(vault.managementEndpoint, keyId);
      if (key) return { found: true, vault, key };
    } catch (error) {
      errors.push(`GetKey in vault ${vault.id}: ${said(failureOf(error))}`);
    }
  }
  const where = vaults.length === 0 ? "no vault could be listed" : `none of ${vaults.length} vault${vaults.length === 1 ? "" : "s"} holds it`;
  return { found: false, reason: errors.length > 0 ? `${where} (${errors.join("; ")})` : where };
}

export const keyRole = (k: KeyUse): string => (k.byRule && k.allowed ? "REENCRYPT_RULES and REENCRYPT_ALLOWED_KEYS" : k.byRule ? "REENCRYPT_RULES" : "REENCRYPT_ALLOWED_KEYS");

/** Keys and secrets the configuration names can be read, and rotating a rule's key reaches this function. */
export async function locateKeys(rt: Runtime, budget: CallBudget, dl: Deadlines, compartments: string[], list: Checklist): Promise<{ keys: KeyUse[]; located: Map<string, Located> }> {
  const keys = new Map<string, KeyUse>();
  for (const r of rt.config.rules) keys.set(r.kmsKeyId, { keyId: r.kmsKeyId, byRule: true, allowed: false });
  for (const id of rt.config.allowedKeys) {
    if (!id.startsWith("ocid1.key.")) continue;
    const k = keys.get(id) ?? { keyId: id, byRule: false, allowed: false };
    k.allowed = true;
    keys.set(id, k);
  }

  // Secrets first: a request naming one reads it exactly so.
  const secrets = rt.secrets(budget);
  for (const id of rt.config.allowedKeys.filter((k) => k.startsWith("ocid1.vaultsecret."))) {
    try {
      const content = await secrets.readSecret(id);
      const key = sseCKeyFromSecretContent(content);
      content.fill(0);
      if (key) list.ok(`secret.${id}`, `secret ${id} (REENCRYPT_ALLOWED_KEYS) is readable and holds a 32-byte SSE-C key`);
      else {
        list.problem(
          `secret.${id}`,
          `secret ${id} (REENCRYPT_ALLOWED_KEYS) does not hold an SSE-C key (32 raw bytes, or their base64): requests naming it are refused`,
          "put the key in a new version of the secret, or remove the secret from allowed_keys",
        );
      }
    } catch (error) {
      const f = failureOf(error);
      if (isDenied(f)) {
        list.problem(
          `secret.${id}`,
          `secret ${id} (REENCRYPT_ALLOWED_KEYS) cannot be read (GetSecretBundle: ${said(f)}): requests naming it fail`,
          `check the OCID, and grant "Allow dynamic-group <dg> to read secret-bundles in compartment id <vault c> where target.secret.id = '${id}'" (Terraform: list it in sse_c_secret_ids or allowed_keys)`,
        );
      } else {
        list.warning(`secret.${id}`, `could not read secret ${id}: GetSecretBundle answered ${said(f)}`, "run diagnose again");
      }
    }
  }

  const located = new Map<string, Located>();
  if (keys.size === 0) return { keys: [], located };
  const kms = rt.keyManagement(budget);
  const { vaults, errors } = await vaultsOf(kms, compartments);
  for (const k of keys.values()) {
    const l = await locateKey(kms, k.keyId, vaults, errors, dl.stopAt);
    located.set(k.keyId, l);
    if (!l.found) {
      list.couldNotConfirm(
        `key.${k.keyId}`,
        `could not find key ${k.keyId} (${keyRole(k)}) in the vaults of compartments ${compartments.join(", ")}: ${l.reason}; its vault may live in another compartment, or this function may not read vaults and keys there`,
        "nothing to do if the key's vault is in another compartment; otherwise grant read vaults and read keys (the Terraform module does for vault_compartment_ids)",
      );
    } else if (l.key.lifecycleState !== "ENABLED") {
      list.problem(
        `key.${k.keyId}`,
        `key ${k.keyId} (${keyRole(k)}) is ${l.key.lifecycleState}: ReencryptObject with it fails, and its rotations are not acted on`,
        "enable the key in its vault, or remove it from the rules and allowed_keys",
      );
    } else {
      list.ok(`key.${k.keyId}`, `key ${k.keyId} (${keyRole(k)}) is ENABLED in vault ${l.vault.id} (compartment ${l.key.compartmentId}), current version ${l.key.currentKeyVersion}`);
    }
  }
  list.unconfirmed.push(
    "keys: whether this function may assign the keys it names to objects (use key-delegate) and Object Storage may use them (Allow service objectstorage-<region> to use keys) is IAM evaluation that only a real ReencryptObject settles",
  );
  return { keys: [...keys.values()], located };
}

