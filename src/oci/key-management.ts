import type { KmsManagementClient, KmsVaultClient } from "oci-keymanagement";
import { clientConfiguration, lazy, type ClientParams } from "./clients.js";
import { withRetry } from "./retry.js";
import { OciCallError } from "./oci-failure.js";
import { collectPages } from "./paging.js";

export interface VaultInfo {
  id: string;
  compartmentId: string;
  managementEndpoint: string;
  lifecycleState: string;
}

export interface KeyInfo {
  id: string;
  vaultId: string;
  compartmentId: string;
  currentKeyVersion: string;
  lifecycleState: string;
  /** autoKeyRotationDetails.lastRotationStatus, when the key has a rotation schedule. */
  lastRotationStatus: string | undefined;
  /** When a key pending deletion is deleted. */
  timeOfDeletion?: string | undefined;
}

export interface KeyVersionInfo {
  id: string;
  keyId: string;
  lifecycleState: string;
  timeCreated: string;
  timeOfDeletion: string | undefined;
}

/** The Key Management reads a rotation job needs. */
export interface KeyManagement {
  getVault(vaultId: string): Promise<VaultInfo>;
  listVaults(compartmentId: string): Promise<VaultInfo[]>;
  /** undefined when this vault does not hold the key (404). */
  getKey(managementEndpoint: string, keyId: string): Promise<KeyInfo | undefined>;
  /** Every version of a key, oldest first (coverage: which versions may still wrap objects). */
  listKeyVersions(managementEndpoint: string, keyId: string): Promise<KeyVersionInfo[]>;
}

/** oci-keymanagement is loaded on the first Key Management call (rotation jobs only). */
export function createKeyManagement(params: ClientParams, vaultEndpoint: string | undefined, notAfter: () => number | undefined): KeyManagement {
  const sdk = lazy(() => import("oci-keymanagement"));
  const vaultClient = lazy(async () => {
    const c: KmsVaultClient = new (await sdk()).KmsVaultClient(params, clientConfiguration());
    if (vaultEndpoint) c.endpoint = vaultEndpoint;
    return c;
  });
  // The management endpoint differs per vault and always comes from GetVault.
  const managers = new Map<string, KmsManagementClient>();
  const manager = async (endpoint: string): Promise<KmsManagementClient> => {
    let c = managers.get(endpoint);
    if (!c) {
      c = new (await sdk()).KmsManagementClient(params, clientConfiguration());
      c.endpoint = endpoint;
      managers.set(endpoint, c);
    }
    return c;
  };
  const toVault = (v: { id: string; compartmentId: string; managementEndpoint: string; lifecycleState: string }): VaultInfo => ({
    id: v.id,
    compartmentId: v.compartmentId,
    managementEndpoint: v.managementEndpoint,
    lifecycleState: String(v.lifecycleState),
  });
  return {
    async getVault(vaultId) {
      const vaults = await vaultClient();
      const r = await withRetry("GetVault", () => vaults.getVault({ vaultId }), { notAfter: notAfter() });
      return toVault(r.vault);
    },
    async listVaults(compartmentId) {
      const vaults = await vaultClient();
      return collectPages(async (page) => {
        const r = await withRetry("ListVaults", () => vaults.listVaults({ compartmentId: encodeURIComponent(compartmentId), limit: 100, ...(page ? { page: encodeURIComponent(page) } : {}) }), {
          notAfter: notAfter(),
        });
        return { items: r.items.map(toVault), next: r.opcNextPage || undefined };
      });
    },
    async getKey(managementEndpoint, keyId) {
      try {
        const keys = await manager(managementEndpoint);
        const r = await withRetry("GetKey", () => keys.getKey({ keyId }), { notAfter: notAfter() });
        const k = r.key;
        return {
          id: k.id,
          vaultId: k.vaultId,
          compartmentId: k.compartmentId,
          currentKeyVersion: k.currentKeyVersion,
          lifecycleState: String(k.lifecycleState),
          lastRotationStatus: k.autoKeyRotationDetails?.lastRotationStatus === undefined ? undefined : String(k.autoKeyRotationDetails.lastRotationStatus),
          ...(k.timeOfDeletion ? { timeOfDeletion: new Date(k.timeOfDeletion).toISOString() } : {}),
        };
      } catch (error) {
        if (error instanceof OciCallError && error.failure.status === 404) return undefined;
        throw error;
      }
    },
    async listKeyVersions(managementEndpoint, keyId) {
      const keys = await manager(managementEndpoint);
      const all = await collectPages(async (page) => {
        const r = await withRetry("ListKeyVersions", () => keys.listKeyVersions({ keyId, limit: 100, ...(page ? { page: encodeURIComponent(page) } : {}) }), { notAfter: notAfter() });
        return {
          items: r.items.map((v) => ({
            id: v.id,
            keyId: v.keyId,
            lifecycleState: String(v.lifecycleState),
            timeCreated: new Date(v.timeCreated).toISOString(),
            timeOfDeletion: v.timeOfDeletion ? new Date(v.timeOfDeletion).toISOString() : undefined,
          })),
          next: r.opcNextPage || undefined,
        };
      });
      return all.sort((a, b) => a.timeCreated.localeCompare(b.timeCreated));
    },
  };
}
