import { type ApiError, missingParameter, notFound } from "./api-error.js";
import { KEY_INCORRECT_STATE, refuse } from "./refusals.js";
import type { Key, KeyVersion, Vault } from "./model.js";
import { nextPageHeader, pageByOffset } from "./paging.js";
import { param, type Reply, type Route, type RouteContext } from "./router.js";

const MAX_LIST = 1000;
const DEFAULT_LIST = 100;

const vaultNotFound = (id: string): ApiError =>
  notFound("NotAuthorizedOrNotFound", `Vault ${id} does not exist or you are not authorized to access it`);
export const keyNotFound = (id: string): ApiError =>
  notFound("NotAuthorizedOrNotFound", `Key ${id} does not exist or you are not authorized to access it`);

function vaultJson(v: Vault): Record<string, unknown> {
  const { shortId: _shortId, ...rest } = v;
  return { ...rest, freeformTags: {}, definedTags: {}, isPrimary: true, isVaultReplicable: false };
}

export function keyJson(k: Key): Record<string, unknown> {
  const { versions: _versions, ...rest } = k;
  return {
    ...rest,
    keyShape: { algorithm: "AES", length: 32 },
    protectionMode: "SOFTWARE",
    isPrimary: true,
    freeformTags: {},
    definedTags: {},
  };
}

export const keyVersionJson = (kv: KeyVersion): Record<string, unknown> => ({ ...kv, isPrimary: true });

function byTime<T extends { timeCreated: string; displayName?: string }>(ctx: RouteContext, items: T[]): T[] {
  const sortBy = ctx.query.get("sortBy") ?? "TIMECREATED";
  // OCI's default order: TIMECREATED descending, DISPLAYNAME ascending.
  const desc = (ctx.query.get("sortOrder") ?? (sortBy === "DISPLAYNAME" ? "ASC" : "DESC")) === "DESC";
  const keyOf = (t: T): string => (sortBy === "DISPLAYNAME" ? (t.displayName ?? "") : t.timeCreated);
  // Stable on ties, so versions created in the same millisecond keep creation order.
  const indexed = items.map((t, i) => ({ t, i }));
  indexed.sort((a, b) => {
    const c = keyOf(a.t) < keyOf(b.t) ? -1 : keyOf(a.t) > keyOf(b.t) ? 1 : a.i - b.i;
    return desc ? -c : c;
  });
  return indexed.map((x) => x.t);
}

// ---- KmsVaultClient: the regional endpoint ----

function getVault(ctx: RouteContext): Reply {
  const id = param(ctx, "vaultId");
  const v = ctx.state.vaults.get(id);
  if (!v) throw vaultNotFound(id);
  return { status: 200, headers: { etag: v.id.slice(-16) }, json: vaultJson(v) };
}

function listVaults(ctx: RouteContext): Reply {
  const compartmentId = ctx.query.get("compartmentId");
  if (!compartmentId) throw missingParameter("compartmentId");
  const all = byTime(ctx, [...ctx.state.vaults.values()].filter((v) => v.compartmentId === compartmentId));
  const page = pageByOffset(all, ctx.query, DEFAULT_LIST, MAX_LIST);
  const items = page.items.map((v) => {
    const { wrappingkeyId: _w, ...summary } = vaultJson(v);
    return summary;
  });
  return { status: 200, headers: nextPageHeader(page.nextPage), json: items };
}

// ---- KmsManagementClient: one management endpoint per vault ----

/** The key, reachable only through its own vault's management endpoint (as in OCI). */
export function managedKey(ctx: RouteContext): Key {
  const vault = ctx.state.vaultByManagementSegment(param(ctx, "mgmt"));
  const id = param(ctx, "keyId");
  const key = ctx.state.keys.get(id);
  if (!vault || !key || key.vaultId !== vault.id) throw keyNotFound(id);
  return key;
}

function getKey(ctx: RouteContext): Reply {
  const key = managedKey(ctx);
  return { status: 200, headers: { etag: key.currentKeyVersion.slice(-16) }, json: keyJson(key) };
}

function listKeys(ctx: RouteContext): Reply {
  const vault = ctx.state.vaultByManagementSegment(param(ctx, "mgmt"));
  if (!vault) throw notFound("NotAuthorizedOrNotFound", "Unknown management endpoint");
  const compartmentId = ctx.query.get("compartmentId");
  if (!compartmentId) throw missingParameter("compartmentId");
  const keys = [...ctx.state.keys.values()].filter((k) => k.vaultId === vault.id && k.compartmentId === compartmentId);
  const page = pageByOffset(byTime(ctx, keys), ctx.query, DEFAULT_LIST, MAX_LIST);
  const items = page.items.map((k) => ({
    compartmentId: k.compartmentId,
    displayName: k.displayName,
    id: k.id,
    lifecycleState: k.lifecycleState,
    timeCreated: k.timeCreated,
    vaultId: k.vaultId,
    protectionMode: "SOFTWARE",
    algorithm: "AES",
    freeformTags: {},
    definedTags: {},
  }));
  return { status: 200, headers: nextPageHeader(page.nextPage), json: items };
}

function listKeyVersions(ctx: RouteContext): Reply {
  const key = managedKey(ctx);
  const page = pageByOffset(byTime(ctx, [...key.versions]), ctx.query, DEFAULT_LIST, MAX_LIST);
  return { status: 200, headers: nextPageHeader(page.nextPage), json: page.items.map(keyVersionJson) };
}

/** The key version named in the path, of the key named in the path. */
export function managedKeyVersion(ctx: RouteContext): { key: Key; version: KeyVersion } {
  const key = managedKey(ctx);
  const id = param(ctx, "keyVersionId");
  const version = key.versions.find((v) => v.id === id);
  if (!version) throw notFound("NotAuthorizedOrNotFound", `Key version ${id} does not exist or you are not authorized to access it`);
  return { key, version };
}

function getKeyVersion(ctx: RouteContext): Reply {
  const { version } = managedKeyVersion(ctx);
  return { status: 200, headers: { etag: version.id.slice(-16) }, json: keyVersionJson(version) };
}

function createKeyVersion(ctx: RouteContext): Reply {
  const key = managedKey(ctx);
  // IncorrectState is what OCI uses for lifecycle conflicts (the SDK retries it by default).
  if (key.lifecycleState !== "ENABLED") throw refuse(KEY_INCORRECT_STATE, `Key ${key.id} is ${key.lifecycleState}`);
  const kv = ctx.state.rotateKey(key.id);
  return { status: 200, headers: { etag: kv.id.slice(-16) }, json: keyVersionJson(kv) };
}

export const MGMT = "/kms/:mgmt/20180608/keys";

export const kmsRoutes: readonly Route[] = [
  { method: "GET", pattern: "/20180608/vaults", operation: "ListVaults", handler: listVaults },
  { method: "GET", pattern: "/20180608/vaults/:vaultId", operation: "GetVault", handler: getVault },
  { method: "GET", pattern: MGMT, operation: "ListKeys", handler: listKeys },
  { method: "GET", pattern: `${MGMT}/:keyId`, operation: "GetKey", handler: getKey },
  { method: "GET", pattern: `${MGMT}/:keyId/keyVersions`, operation: "ListKeyVersions", handler: listKeyVersions },
  { method: "POST", pattern: `${MGMT}/:keyId/keyVersions`, operation: "CreateKeyVersion", handler: createKeyVersion },
  { method: "GET", pattern: `${MGMT}/:keyId/keyVersions/:keyVersionId`, operation: "GetKeyVersion", handler: getKeyVersion },
];
