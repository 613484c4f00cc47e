// Every function configuration key the product reads (contract §6). The Terraform module's
// `config` map is tested against this list, so the two cannot drift apart.

export const CONFIG_KEYS = {
  rules: "REENCRYPT_RULES",
  allowedKeys: "REENCRYPT_ALLOWED_KEYS",
  allowInlineKeys: "REENCRYPT_ALLOW_INLINE_KEYS",
  maxParallel: "REENCRYPT_MAX_PARALLEL",
  rotationMethod: "REENCRYPT_ROTATION_METHOD",
  checkpointSeconds: "REENCRYPT_CHECKPOINT_SECONDS",
  splitVersions: "REENCRYPT_SPLIT_VERSIONS",
  allowedBuckets: "REENCRYPT_ALLOWED_BUCKETS",
  compartmentIds: "REENCRYPT_COMPARTMENT_IDS",
  stateBucket: "REENCRYPT_STATE_BUCKET",
  tokenSecretId: "REENCRYPT_TOKEN_SECRET_ID",
  concurrency: "REENCRYPT_CONCURRENCY",
  maxRps: "REENCRYPT_MAX_RPS",
  logLevel: "REENCRYPT_LOG_LEVEL",
  stopAfterIdenticalFailures: "REENCRYPT_STOP_AFTER_IDENTICAL_FAILURES",
  objectStorageEndpoint: "REENCRYPT_OBJECTSTORAGE_ENDPOINT",
  kmsVaultEndpoint: "REENCRYPT_KMS_VAULT_ENDPOINT",
  secretsEndpoint: "REENCRYPT_SECRETS_ENDPOINT",
  functionsEndpoint: "REENCRYPT_FUNCTIONS_ENDPOINT",
  eventsEndpoint: "REENCRYPT_EVENTS_ENDPOINT",
  notifyTopic: "REENCRYPT_NOTIFY_TOPIC",
  metricsNamespace: "REENCRYPT_METRICS_NAMESPACE",
  metricsCompartmentId: "REENCRYPT_METRICS_COMPARTMENT_ID",
  notificationsEndpoint: "REENCRYPT_NOTIFICATIONS_ENDPOINT",
  monitoringEndpoint: "REENCRYPT_MONITORING_ENDPOINT",
} as const;

export type ConfigKey = (typeof CONFIG_KEYS)[keyof typeof CONFIG_KEYS];
export const ALL_CONFIG_KEYS: readonly ConfigKey[] = Object.values(CONFIG_KEYS);
