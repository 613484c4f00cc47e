locals {
  # ---------------------------------------------------------------------------
  # Event types the function acts on. These literal lists must equal
  # OBJECT_EVENTS and KEY_ROTATION_EVENTS in src/contract/event-types.ts;
  # test/unit/terraform.test.ts fails the build when they drift apart.
  # ---------------------------------------------------------------------------
  object_event_types = [
    "com.oraclecloud.objectstorage.createobject",
  ]
  key_rotation_event_types = [
    "com.oraclecloud.keymanagementservice.createkeyversion.end",
    "com.oraclecloud.keymanagementservice.autokeyrotate.end",
  ]

  # ---------------------------------------------------------------------------
  # Names
  # ---------------------------------------------------------------------------
  application_name    = "${var.name_prefix}-app"
  function_name       = var.name_prefix
  dynamic_group_name  = "${var.name_prefix}-fn-dg"
  function_policy     = "${var.name_prefix}-fn-policy"
  service_policy      = "${var.name_prefix}-service-policy"
  policy_compartment  = coalesce(var.policy_compartment_id, var.tenancy_ocid)
  api_gateway_name    = "${var.name_prefix}-gw"
  api_deployment_name = "${var.name_prefix}-api"
  api_route_path      = "/reencrypt"

  # ---------------------------------------------------------------------------
  # Compartments
  # ---------------------------------------------------------------------------
  # Where buckets are read and objects re-encrypted. Empty variable = the
  # function's own compartment, the product's default for REENCRYPT_COMPARTMENT_IDS.
  target_compartment_ids = length(var.target_compartment_ids) > 0 ? distinct(var.target_compartment_ids) : [var.compartment_id]
  # Where the Vault keys (and SSE-C secrets) live.
  vault_compartment_ids       = length(var.vault_compartment_ids) > 0 ? distinct(var.vault_compartment_ids) : [var.compartment_id]
  state_bucket_compartment_id = coalesce(var.state_bucket_compartment_id, var.compartment_id)
  api_gateway_compartment_id  = coalesce(var.api_gateway_compartment_id, var.compartment_id)

  # ---------------------------------------------------------------------------
  # Keys and buckets in use
  # ---------------------------------------------------------------------------
  # Every Vault key the function works with: the keys the rules name plus the
  # extra keys (bucket keys) given in kms_key_ids. Rotation rules and key
  # policies are scoped to exactly these.
  key_ids = distinct(concat([for r in var.rules : r.kms_key_id], var.kms_key_ids))
  # Bucket globs whose createobject events the object rule lets through.
  rule_bucket_globs = distinct([for r in var.rules : r.bucket])

  # The state bucket: `bucket` or `namespace/bucket`; IAM needs the bucket part.
  state_bucket_value = var.state_bucket_name
  state_bucket_only  = var.state_bucket_name == null ? null : element(split("/", var.state_bucket_name), length(split("/", var.state_bucket_name)) - 1)

  # ---------------------------------------------------------------------------
  # Function configuration: one entry per REENCRYPT_* key of the contract
  # (src/contract/config-keys.ts, contract §6). A null value means "not set":
  # the key is left out so the product's default applies.
  # ---------------------------------------------------------------------------
  contract_config = {
    REENCRYPT_RULES = length(var.rules) == 0 ? null : jsonencode([
      for r in var.rules : { bucket = r.bucket, prefix = r.prefix, kmsKeyId = r.kms_key_id }
    ])
    REENCRYPT_ALLOWED_BUCKETS = length(var.allowed_buckets) == 0 ? null : join(",", var.allowed_buckets)
    REENCRYPT_COMPARTMENT_IDS = length(var.target_compartment_ids) == 0 ? null : join(",", distinct(var.target_compartment_ids))
    REENCRYPT_STATE_BUCKET    = local.state_bucket_value
    REENCRYPT_CONCURRENCY     = var.concurrency == null ? null : tostring(var.concurrency)
    REENCRYPT_MAX_RPS         = var.max_rps == null ? null : tostring(var.max_rps)
    REENCRYPT_LOG_LEVEL       = var.log_level
  }

  # The REENCRYPT_*_ENDPOINT keys are set only through var.endpoint_overrides
  # (validated against the contract's endpoint key names in variables.tf).
  function_config = merge(
    { for k, v in local.contract_config : k => v if v != null },
    var.endpoint_overrides,
  )
  # OCI Functions: "The maximum size for all configuration keys and values is limited to 4KB".
  function_config_size = sum(concat([0], [for k, v in local.function_config : length(k) + length(v)]))

  # ---------------------------------------------------------------------------
  # API Gateway authentication: an authorizer function when one is given,
  # otherwise JWT (issuer, audiences, remote JWKS).
  # ---------------------------------------------------------------------------
  api_uses_authorizer = var.authorizer_function_id != null
}
