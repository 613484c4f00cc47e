locals {
  # ---------------------------------------------------------------------------
  # Event types the function acts on. These literal lists must equal
  # OBJECT_EVENTS, KEY_ROTATION_EVENTS, BUCKET_EVENTS and KEY_RETIREMENT_EVENTS
  # in src/contract/event-types.ts; test/unit/terraform.test.ts fails the build
  # when they drift apart.
  # ---------------------------------------------------------------------------
  object_event_types = [
    "com.oraclecloud.objectstorage.createobject",
  ]
  key_rotation_event_types = [
    "com.oraclecloud.keymanagementservice.createkeyversion.end",
    "com.oraclecloud.keymanagementservice.autokeyrotate.end",
  ]
  bucket_event_types = [
    "com.oraclecloud.objectstorage.updatebucket",
  ]
  # UNCONFIRMED names (a secondary table): .begin and .end are both subscribed.
  key_retirement_event_types = [
    "com.oraclecloud.keymanagementservice.disablekey.begin",
    "com.oraclecloud.keymanagementservice.disablekey.end",
    "com.oraclecloud.keymanagementservice.schedulekeydeletion.begin",
    "com.oraclecloud.keymanagementservice.schedulekeydeletion.end",
    "com.oraclecloud.keymanagementservice.schedulekeyversiondeletion.begin",
    "com.oraclecloud.keymanagementservice.schedulekeyversiondeletion.end",
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
  api_status_path     = "/reencrypt/jobs/{jobId}"
  # The header the deployment sets to the caller's JWT subject (CALLER_HEADER in
  # src/access/caller-jobs.ts; test/unit/terraform.test.ts keeps the two equal).
  api_caller_header = "X-Reencrypt-Caller"

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

  # REENCRYPT_ALLOWED_KEYS: what a request may name as its target key. Null
  # variable = the keys in use (the rules' keys are always allowed by the
  # function; kms_key_ids are added). [] = none besides the rules' keys.
  allowed_keys = var.allowed_keys == null ? local.key_ids : distinct(var.allowed_keys)
  # Keys and secrets the IAM must cover: a target key a request may name must be
  # usable (key-delegate, Object Storage service) and its secret readable.
  iam_key_ids = distinct(concat(local.key_ids, [for k in local.allowed_keys : k if startswith(k, "ocid1.key.")]))
  # The token secret (REENCRYPT_TOKEN_SECRET_ID) is read like an SSE-C secret, that secret only.
  iam_secret_ids = distinct(concat(var.sse_c_secret_ids, [for k in local.allowed_keys : k if startswith(k, "ocid1.vaultsecret.")], var.token_secret_id == null ? [] : [var.token_secret_id]))

  # ---------------------------------------------------------------------------
  # Buckets the object rights are limited to (IAM target.bucket.name), in this
  # order: iam_bucket_names; else allowed_buckets (the function refuses every
  # other bucket, contract §3/§5); else the rules' buckets when nothing else can
  # name a bucket (no API Gateway, no bucket key in kms_key_ids whose buckets are
  # found by scanning); else none, i.e. every bucket of the target compartments.
  # A "*" anywhere in the chosen list also means every bucket.
  # ---------------------------------------------------------------------------
  iam_bucket_globs = (
    length(var.iam_bucket_names) > 0 ? var.iam_bucket_names :
    length(var.allowed_buckets) > 0 ? [for b in var.allowed_buckets : element(split("/", b), length(split("/", b)) - 1)] :
    length(var.rules) > 0 && length(var.kms_key_ids) == 0 && !var.create_api_gateway ? local.rule_bucket_globs :
    []
  )
  iam_buckets_narrowed = length(local.iam_bucket_globs) > 0 && alltrue([for g in local.iam_bucket_globs : trim(g, "*") != ""])
  # A glob becomes an IAM value: a plain name is quoted, a glob with '*' only at
  # its ends is an IAM pattern as it is, any other glob is widened to the pattern
  # of its first (or last, or first inner) literal part: a superset, never less.
  iam_bucket_values = !local.iam_buckets_narrowed ? [] : distinct([
    for g in local.iam_bucket_globs : (
      !strcontains(g, "*") ? "'${g}'" :
      can(regex("^\\*?[^*]+\\*?$", g)) ? "/${g}/" :
      split("*", g)[0] != "" ? "/${split("*", g)[0]}*/" :
      element(split("*", g), length(split("*", g)) - 1) != "" ? "/*${element(split("*", g), length(split("*", g)) - 1)}/" :
      "/*${[for part in split("*", g) : part if part != ""][0]}*/"
    )
  ])
  # "any {target.bucket.name = 'a', target.bucket.name = /b*/}", or null when not narrowed.
  iam_bucket_any = local.iam_buckets_narrowed ? "any {${join(", ", [for v in local.iam_bucket_values : "target.bucket.name = ${v}"])}}" : null

  # ReencryptBucket (contract §9): for rotation jobs with rotation_method =
  # "bucket", or for requests with "method": "bucket" when allow_bucket_method.
  bucket_method_enabled = var.rotation_method == "bucket" || var.allow_bucket_method

  # The sweep (contract §8) needs job records, i.e. a state bucket.
  sweep_enabled         = var.enable_sweep && local.state_bucket_value != null
  sweep_recurrence_type = startswith(var.sweep_schedule, "FREQ=") ? "ICAL" : "CRON"
  sweep_body            = jsonencode({ sweep = true })

  # The state bucket: `bucket` or `namespace/bucket`; IAM needs the bucket part. By default the
  # module creates one named after name_prefix: durable jobs are the product.
  state_bucket_value = var.state_bucket_name != null ? var.state_bucket_name : (var.create_state_bucket ? "${var.name_prefix}-state" : null)
  state_bucket_only  = local.state_bucket_value == null ? null : element(split("/", local.state_bucket_value), length(split("/", local.state_bucket_value)) - 1)

  # ---------------------------------------------------------------------------
  # Function configuration: one entry per REENCRYPT_* key of the contract
  # (src/contract/config-keys.ts, contract §6). A null value means "not set":
  # the key is left out so the product's default applies.
  # ---------------------------------------------------------------------------
  contract_config = {
    REENCRYPT_RULES = length(var.rules) == 0 ? null : jsonencode([
      for r in var.rules : { bucket = r.bucket, prefix = r.prefix, kmsKeyId = r.kms_key_id }
    ])
    REENCRYPT_ALLOWED_KEYS                  = length(local.allowed_keys) == 0 ? null : join(",", local.allowed_keys)
    REENCRYPT_ALLOW_INLINE_KEYS             = var.allow_inline_keys ? "true" : null
    REENCRYPT_MAX_PARALLEL                  = tostring(var.max_parallel)
    REENCRYPT_ROTATION_METHOD               = var.rotation_method
    REENCRYPT_CHECKPOINT_SECONDS            = tostring(var.checkpoint_seconds)
    REENCRYPT_SPLIT_VERSIONS                = tostring(var.split_versions)
    REENCRYPT_ALLOWED_BUCKETS               = length(var.allowed_buckets) == 0 ? null : join(",", var.allowed_buckets)
    REENCRYPT_COMPARTMENT_IDS               = length(var.target_compartment_ids) == 0 ? null : join(",", distinct(var.target_compartment_ids))
    REENCRYPT_STATE_BUCKET                  = local.state_bucket_value
    REENCRYPT_TOKEN_SECRET_ID               = var.token_secret_id
    REENCRYPT_CONCURRENCY                   = var.concurrency == null ? null : tostring(var.concurrency)
    REENCRYPT_MAX_RPS                       = var.max_rps == null ? null : tostring(var.max_rps)
    REENCRYPT_LOG_LEVEL                     = var.log_level
    REENCRYPT_STOP_AFTER_IDENTICAL_FAILURES = var.stop_after_identical_failures == null ? null : tostring(var.stop_after_identical_failures)
    # Contract §13 (operations.tf): "" turns metrics off, so the namespace is always set.
    REENCRYPT_NOTIFY_TOPIC           = local.notify_topic_id
    REENCRYPT_METRICS_NAMESPACE      = var.metrics_namespace
    REENCRYPT_METRICS_COMPARTMENT_ID = var.metrics_compartment_id
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

  authorizer_function_compartment_id = coalesce(var.authorizer_function_compartment_id, var.compartment_id)
}

locals {
  # API Gateway context variable (request.auth holds the JWT's claims, or the authorizer
  # function's context); "$$" keeps Terraform from reading it as an interpolation.
  api_caller_value = "$${request.auth[sub]}"
}
