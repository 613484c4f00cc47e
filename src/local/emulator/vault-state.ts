import { KeyLifecycle } from "./key-lifecycle.js";
import type { Key, KeyState, KeyVersion, ObjectVersion, Vault } from "./model.js";
import { randomAlnum, randomOcid } from "./random-ids.js";
import { KEY_NOT_USABLE, refuse } from "./refusals.js";

export interface EmulatorStateOptions {
  /** Base URL of the emulator's server; vault and function endpoints are built from it. */
  baseUrl: string;
  namespace?: string | undefined;
  tenancyId?: string | undefined;
}

const now = (): string => new Date().toISOString();

/** Thirty days ahead: OCI's default `timeOfDeletion`. */
const defaultTimeOfDeletion = (): Date => new Date(Date.now() + 30 * 86_400_000);

/**
 * The tenancy and its Vault side: vaults, keys and key versions with their lifecycle, and which
 * key (version) Object Storage may use. EmulatorState builds on it.
 */
export class VaultState {
  readonly namespace: string;
  readonly tenancyId: string;
  readonly baseUrl: string;
  /** Used wherever a compartment is optional. */
  readonly defaultCompartmentId: string;

  readonly vaults = new Map<string, Vault>();
  readonly keys = new Map<string, Key>();
  /** Key Management lifecycle actions (`setTransitionDelay(ms)`); the key helpers below use it. */
  readonly keyLifecycle = new KeyLifecycle();

  constructor(options: EmulatorStateOptions) {
    this.baseUrl = options.baseUrl.replace(/\/+$/, "");
    this.namespace = options.namespace ?? "testns";
    this.tenancyId = options.tenancyId ?? randomOcid("tenancy");
    this.defaultCompartmentId = randomOcid("compartment");
  }

  createVault(o: { compartmentId?: string | undefined; displayName?: string | undefined }): Vault {
    const id = randomOcid("vault");
    const shortId = randomAlnum(12);
    const vault: Vault = {
      id,
      compartmentId: o.compartmentId ?? this.defaultCompartmentId,
      displayName: o.displayName ?? `vault-${shortId.slice(0, 6)}`,
      shortId,
      managementEndpoint: `${this.baseUrl}/kms/${shortId}-management`,
      cryptoEndpoint: `${this.baseUrl}/kms/${shortId}-crypto`,
      lifecycleState: "ACTIVE",
      vaultType: "DEFAULT",
      wrappingkeyId: randomOcid("key"),
      timeCreated: now(),
    };
    this.vaults.set(id, vault);
    return vault;
  }

  /** The vault whose management endpoint path segment is `segment` (`<shortId>-management`). */
  vaultByManagementSegment(segment: string): Vault | undefined {
    for (const v of this.vaults.values()) if (`${v.shortId}-management` === segment) return v;
    return undefined;
  }

  createKey(o: {
    vaultId: string;
    compartmentId?: string | undefined;
    displayName?: string | undefined;
    lifecycleState?: KeyState | undefined;
    isAutoRotationEnabled?: boolean | undefined;
  }): Key {
    const vault = this.vaults.get(o.vaultId);
    if (!vault) throw new Error(`createKey: unknown vault ${o.vaultId}`);
    const id = randomOcid("key");
    const compartmentId = o.compartmentId ?? vault.compartmentId;
    const first = this.newKeyVersion(id, vault.id, compartmentId, false);
    const key: Key = {
      id,
      vaultId: vault.id,
      compartmentId,
      displayName: o.displayName ?? `key-${id.slice(-6)}`,
      lifecycleState: o.lifecycleState ?? "ENABLED",
      currentKeyVersion: first.id,
      versions: [first],
      isAutoRotationEnabled: o.isAutoRotationEnabled ?? false,
      timeCreated: first.timeCreated,
    };
    this.keys.set(id, key);
    return key;
  }

  private newKeyVersion(keyId: string, vaultId: string, compartmentId: string, isAutoRotated: boolean): KeyVersion {
    return {
      id: randomOcid("keyversion"),
      keyId,
      vaultId,
      compartmentId,
      lifecycleState: "ENABLED",
      origin: "INTERNAL",
      isAutoRotated,
      timeCreated: now(),
    };
  }

  key(keyId: string): Key | undefined {
    return this.keys.get(keyId);
  }

  protected requireKey(keyId: string): Key {
    const key = this.keys.get(keyId);
    if (!key) throw new Error(`unknown key ${keyId}`);
    return key;
  }

  /**
   * A new key version that becomes current (CreateKeyVersion, or an auto rotation). With `fail`,
   * records a failed auto rotation instead and returns the unchanged current version.
   */
  rotateKey(keyId: string, opts: { autoRotation?: boolean | undefined; fail?: boolean | undefined } = {}): KeyVersion {
    const key = this.requireKey(keyId);
    const at = now();
    if (opts.fail) {
      key.autoKeyRotationDetails = {
        ...key.autoKeyRotationDetails,
        timeOfLastRotation: at,
        lastRotationStatus: "FAILED",
        lastRotationMessage: "Automatic key rotation failed (emulated)",
      };
      return key.versions[key.versions.length - 1] as KeyVersion;
    }
    const version = this.newKeyVersion(key.id, key.vaultId, key.compartmentId, opts.autoRotation ?? false);
    key.versions.push(version);
    key.currentKeyVersion = version.id;
    if (opts.autoRotation) {
      key.autoKeyRotationDetails = {
        ...key.autoKeyRotationDetails,
        timeOfLastRotation: at,
        lastRotationStatus: "SUCCESS",
        lastRotationMessage: "Automatic key rotation succeeded (emulated)",
      };
    }
    return version;
  }

  /** Sets a key's state as is, without OCI's rules (use the helpers below for those). */
  setKeyState(keyId: string, state: KeyState): void {
    this.requireKey(keyId).lifecycleState = state;
  }

  /** DisableKey: ENABLED → DISABLED (409 IncorrectState from any other state). */
  disableKey(keyId: string): Key {
    return this.keyLifecycle.disable(this.requireKey(keyId));
  }

  /** EnableKey: DISABLED → ENABLED. */
  enableKey(keyId: string): Key {
    return this.keyLifecycle.enable(this.requireKey(keyId));
  }

  /** ScheduleKeyDeletion: PENDING_DELETION until `timeOfDeletion` (default 30 days; any time here), then DELETED. */
  scheduleKeyDeletion(keyId: string, o: { timeOfDeletion?: Date | string | undefined } = {}): Key {
    const at = o.timeOfDeletion === undefined ? defaultTimeOfDeletion() : new Date(o.timeOfDeletion);
    return this.keyLifecycle.scheduleDeletion(this.requireKey(keyId), at);
  }

  /** CancelKeyDeletion: back to the state before the deletion was scheduled. */
  cancelKeyDeletion(keyId: string): Key {
    return this.keyLifecycle.cancelDeletion(this.requireKey(keyId));
  }

  /** ScheduleKeyVersionDeletion of a version that is not current: PENDING_DELETION, then DELETED at `timeOfDeletion`. */
  scheduleKeyVersionDeletion(keyId: string, keyVersionId: string, o: { timeOfDeletion?: Date | string | undefined } = {}): KeyVersion {
    const key = this.requireKey(keyId);
    const at = o.timeOfDeletion === undefined ? defaultTimeOfDeletion() : new Date(o.timeOfDeletion);
    return this.keyLifecycle.scheduleVersionDeletion(key, this.requireKeyVersion(key, keyVersionId), at);
  }

  cancelKeyVersionDeletion(keyId: string, keyVersionId: string): KeyVersion {
    const key = this.requireKey(keyId);
    return this.keyLifecycle.cancelVersionDeletion(key, this.requireKeyVersion(key, keyVersionId));
  }

  /** How long lifecycle actions show their transitional state (DISABLING, ...); default 0: none. */
  setKeyTransitionDelay(ms: number): void {
    this.keyLifecycle.setTransitionDelay(ms);
  }

  private requireKeyVersion(key: Key, keyVersionId: string): KeyVersion {
    const version = key.versions.find((v) => v.id === keyVersionId);
    if (!version) throw new Error(`key ${key.id} has no version ${keyVersionId}`);
    return version;
  }

  /** A key Object Storage may wrap with: known and ENABLED, else the KEY_NOT_USABLE refusal (UNCONFIRMED). */
  usableKey(kmsKeyId: string): Key {
    const key = this.keys.get(kmsKeyId);
    if (!key) throw refuse(KEY_NOT_USABLE, `The master encryption key '${kmsKeyId}' does not exist or you are not authorized to use it`);
    if (key.lifecycleState !== "ENABLED") {
      throw refuse(KEY_NOT_USABLE, `The master encryption key '${kmsKeyId}' is ${key.lifecycleState} and cannot be used`);
    }
    return key;
  }

  /**
   * Refuses (KEY_NOT_USABLE) when the key version wrapping a version's data key cannot unwrap it:
   * the key is not ENABLED (a disabled or pending-deletion key makes what it encrypts inaccessible)
   * or the version is pending deletion or deleted. ReencryptObject and GetObject need it.
   */
  requireUnwrappable(version: ObjectVersion): void {
    const w = version.wrapping;
    if (w.kind !== "kms") return;
    const key = this.usableKey(w.kmsKeyId);
    const kv = key.versions.find((v) => v.id === w.keyVersionId);
    if (kv && kv.lifecycleState !== "ENABLED") {
      throw refuse(KEY_NOT_USABLE, `The key version '${kv.id}' that wraps '${version.name}' is ${kv.lifecycleState} and cannot be used`);
    }
  }
}
