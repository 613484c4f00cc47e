import { z } from "zod";
import { CONFIG_KEYS } from "./contract/config-keys.js";
import { KeyRulesSchema, type KeyRule } from "./contract/rules.js";
import { CompartmentOcidSchema, ocidSchema } from "./contract/ocid.js";
import { BUCKET_GLOB_PATTERN } from "./glob.js";
import { configurationError } from "./errors.js";
import type { LogLevel } from "./log.js";

export interface Config {
  rules: KeyRule[];
  /** Vault key and secret OCIDs a request may name as its target key (REENCRYPT_ALLOWED_KEYS); rule keys are always allowed. */
  allowedKeys: string[];
  allowInlineKeys: boolean;
  maxParallel: number;
  rotationMethod: "objects" | "bucket";
  checkpointSeconds: number;
  /** A shard over one bucket or prefix hands the rest of its range to a new shard each time it has listed this many versions ahead. */
  splitVersions: number;
  /** undefined: no allow-list, IAM is the only limit. */
  allowedBuckets: string[] | undefined;
  /** undefined: the function's own compartment (resource principal claim). */
  compartmentIds: string[] | undefined;
  stateBucket: { namespace: string | undefined; bucket: string } | undefined;
  /** REENCRYPT_TOKEN_SECRET_ID: the Vault secret whose content keys the MAC of self-contained resume tokens. */
  tokenSecretId: string | undefined;
  concurrency: number;
  maxRps: number | undefined;
  /** A unit stops calling after this many identical non-retryable failures in a row (0: never). */
  stopAfterIdenticalFailures: number;
  logLevel: LogLevel;
  /** REENCRYPT_NOTIFY_TOPIC: where job ends, stalled jobs and key hazards are published; undefined: no messages. */
  notifyTopicId: string | undefined;
  /** Custom metrics (contract §13); undefined when REENCRYPT_METRICS_NAMESPACE is set empty. */
  metrics: { namespace: string; compartmentId: string | undefined } | undefined;
  endpoints: {
    objectStorage: string | undefined;
    kmsVault: string | undefined;
    secrets: string | undefined;
    functions: string | undefined;
    events: string | undefined;
    notifications: string | undefined;
    /** The telemetry-ingestion endpoint (PostMetricData), not telemetry. */
    monitoring: string | undefined;
  };
}

/** REENCRYPT_SPLIT_VERSIONS unset: at 10,000 a split shard has minutes of work at 16 calls in flight, and a bucket of millions spreads over its slots within seconds. */
export const SPLIT_VERSIONS_DEFAULT = 10_000;

type Env = Readonly<Record<string, string | undefined>>;

const list = (raw: string): string[] =>
  raw
    .split(",")
    .map((s) => s.trim())
    .filter((s) => s.length > 0);

function parseWith<T>(key: string, schema: z.ZodType<T>, value: unknown): T {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const first = result.error.issues[0];
  const where = first && first.path.length > 0 ? ` (at ${first.path.join(".")})` : "";
  throw configurationError(key, `${first?.message ?? "invalid value"}${where}`);
}

function intSetting(env: Env, key: string, min: number, max: number): number | undefined {
  const raw = env[key]?.trim();
  if (!raw) return undefined;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min || n > max) {
    throw configurationError(key, `must be a whole number from ${min} to ${max}, got "${raw}"`);
  }
  return n;
}

function endpoint(env: Env, key: string): string | undefined {
  const raw = env[key]?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw configurationError(key, `must be an http(s) URL, got "${raw}"`);
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") throw configurationError(key, "must be an http(s) URL");
  return raw.replace(/\/+$/, "");
}

/** Monitoring's rule for a namespace; `oci_` and `oracle_` are OCI's own. */
const METRICS_NAMESPACE = /^[A-Za-z][A-Za-z0-9_]{0,254}$/;
const RESERVED_NAMESPACE = /^(oci_|oracle_)/i;

function metricsSettings(env: Env): Config["metrics"] {
  const raw = env[CONFIG_KEYS.metricsNamespace];
  const namespace = raw === undefined ? "reencrypt" : raw.trim();
  const compRaw = env[CONFIG_KEYS.metricsCompartmentId]?.trim();
  const compartmentId = compRaw ? parseWith(CONFIG_KEYS.metricsCompartmentId, CompartmentOcidSchema, compRaw) : undefined;
  if (namespace === "") return undefined;
  if (!METRICS_NAMESPACE.test(namespace)) {
    throw configurationError(CONFIG_KEYS.metricsNamespace, `must start with a letter and hold only letters, digits and underscores (at most 255), got "${namespace}"; empty turns metrics off`);
  }
  if (RESERVED_NAMESPACE.test(namespace)) throw configurationError(CONFIG_KEYS.metricsNamespace, `"${namespace}" starts with a prefix OCI reserves for its own metrics (oci_, oracle_)`);
  return { namespace, compartmentId };
}

/** Reads and validates the configuration once; a problem names the key and what is wrong. */
export function loadConfig(env: Env): Config {
  const rulesRaw = env[CONFIG_KEYS.rules]?.trim();
  let rulesJson: unknown = [];
  if (rulesRaw) {
    try {
      rulesJson = JSON.parse(rulesRaw);
    } catch {
      throw configurationError(CONFIG_KEYS.rules, "is not valid JSON; expected [{\"bucket\":\"glob\",\"prefix\":\"…\",\"kmsKeyId\":\"ocid1.key…\"}]");
    }
  }
  const rules = parseWith(CONFIG_KEYS.rules, KeyRulesSchema, rulesJson);

  const allowedRaw = env[CONFIG_KEYS.allowedBuckets];
  const allowedBuckets = allowedRaw === undefined || allowedRaw.trim() === "" ? undefined : list(allowedRaw);
  for (const glob of allowedBuckets ?? []) {
    if (!BUCKET_GLOB_PATTERN.test(glob)) {
      throw configurationError(CONFIG_KEYS.allowedBuckets, `"${glob}" is not a bucket or namespace/bucket glob`);
    }
  }

  const compRaw = env[CONFIG_KEYS.compartmentIds];
  const compartmentIds = compRaw === undefined || compRaw.trim() === "" ? undefined : list(compRaw);
  if (compartmentIds) parseWith(CONFIG_KEYS.compartmentIds, z.array(CompartmentOcidSchema), compartmentIds);

  const stateRaw = env[CONFIG_KEYS.stateBucket]?.trim();
  let stateBucket: Config["stateBucket"];
  if (stateRaw) {
    const parts = stateRaw.split("/");
    const valid = /^[A-Za-z0-9_.-]+$/;
    if (parts.length > 2 || parts.some((p) => !valid.test(p))) {
      throw configurationError(CONFIG_KEYS.stateBucket, `must be "bucket" or "namespace/bucket", got "${stateRaw}"`);
    }
    stateBucket = parts.length === 2 ? { namespace: parts[0], bucket: parts[1] as string } : { namespace: undefined, bucket: parts[0] as string };
  }

  const tokenSecretRaw = env[CONFIG_KEYS.tokenSecretId]?.trim();
  const tokenSecretId = tokenSecretRaw ? parseWith(CONFIG_KEYS.tokenSecretId, ocidSchema("vaultsecret"), tokenSecretRaw) : undefined;

  const levelRaw = (env[CONFIG_KEYS.logLevel]?.trim() || "info").toLowerCase();
  if (!["debug", "info", "warn", "error"].includes(levelRaw)) {
    throw configurationError(CONFIG_KEYS.logLevel, `must be one of debug, info, warn, error, got "${levelRaw}"`);
  }

  const rpsRaw = env[CONFIG_KEYS.maxRps]?.trim();
  let maxRps: number | undefined;
  if (rpsRaw) {
    const n = Number(rpsRaw);
    if (!Number.isFinite(n) || n <= 0) throw configurationError(CONFIG_KEYS.maxRps, `must be a positive number, got "${rpsRaw}"`);
    maxRps = n;
  }

  const allowedKeysRaw = env[CONFIG_KEYS.allowedKeys];
  const allowedKeys = allowedKeysRaw === undefined ? [] : list(allowedKeysRaw);
  parseWith(CONFIG_KEYS.allowedKeys, z.array(ocidSchema("key", "vaultsecret")), allowedKeys);

  const inlineRaw = (env[CONFIG_KEYS.allowInlineKeys]?.trim() || "false").toLowerCase();
  if (inlineRaw !== "true" && inlineRaw !== "false") throw configurationError(CONFIG_KEYS.allowInlineKeys, `must be true or false, got "${inlineRaw}"`);

  const methodRaw = (env[CONFIG_KEYS.rotationMethod]?.trim() || "objects").toLowerCase();
  if (methodRaw !== "objects" && methodRaw !== "bucket") throw configurationError(CONFIG_KEYS.rotationMethod, `must be objects or bucket, got "${methodRaw}"`);

  const topicRaw = env[CONFIG_KEYS.notifyTopic]?.trim();
  const notifyTopicId = topicRaw ? parseWith(CONFIG_KEYS.notifyTopic, ocidSchema("onstopic"), topicRaw) : undefined;

  return {
    rules,
    allowedKeys,
    allowInlineKeys: inlineRaw === "true",
    maxParallel: intSetting(env, CONFIG_KEYS.maxParallel, 1, 256) ?? 8,
    rotationMethod: methodRaw,
    checkpointSeconds: intSetting(env, CONFIG_KEYS.checkpointSeconds, 1, 3600) ?? 30,
    splitVersions: intSetting(env, CONFIG_KEYS.splitVersions, 100, 10_000_000) ?? SPLIT_VERSIONS_DEFAULT,
    allowedBuckets,
    compartmentIds,
    stateBucket,
    tokenSecretId,
    concurrency: intSetting(env, CONFIG_KEYS.concurrency, 1, 256) ?? 16,
    maxRps,
    stopAfterIdenticalFailures: intSetting(env, CONFIG_KEYS.stopAfterIdenticalFailures, 0, 1_000_000) ?? 200,
    logLevel: levelRaw as LogLevel,
    notifyTopicId,
    metrics: metricsSettings(env),
    endpoints: {
      objectStorage: endpoint(env, CONFIG_KEYS.objectStorageEndpoint),
      kmsVault: endpoint(env, CONFIG_KEYS.kmsVaultEndpoint),
      secrets: endpoint(env, CONFIG_KEYS.secretsEndpoint),
      functions: endpoint(env, CONFIG_KEYS.functionsEndpoint),
      events: endpoint(env, CONFIG_KEYS.eventsEndpoint),
      notifications: endpoint(env, CONFIG_KEYS.notificationsEndpoint),
      monitoring: endpoint(env, CONFIG_KEYS.monitoringEndpoint),
    },
  };
}
