# -----------------------------------------------------------------------------
# Where it runs
# -----------------------------------------------------------------------------

variable "tenancy_ocid" {
  description = "OCID of the tenancy. The dynamic group is created here, and by default the policies too."
  type        = string

  validation {
    condition     = can(regex("^ocid1\\.tenancy\\.", var.tenancy_ocid))
    error_message = "tenancy_ocid must be a tenancy OCID (it starts with \"ocid1.tenancy.\")."
  }
}

variable "region" {
  description = "Region identifier the function runs in, e.g. \"us-ashburn-1\". Used to name the Object Storage service principal (objectstorage-<region>) in the key policy."
  type        = string

  validation {
    condition     = can(regex("^[a-z]{2,}(-[a-z]+)+-[0-9]+$", var.region))
    error_message = "region must be a region identifier such as \"us-ashburn-1\" or \"eu-frankfurt-1\", not a short code like \"iad\"."
  }
}

variable "compartment_id" {
  description = "OCID of the compartment for the Functions application, the function, the event rules' function side, the log group and (by default) the state bucket and API Gateway."
  type        = string

  validation {
    condition     = can(regex("^ocid1\\.(compartment|tenancy)\\.", var.compartment_id))
    error_message = "compartment_id must be a compartment OCID (\"ocid1.compartment.…\", or the tenancy OCID for the root compartment)."
  }
}

variable "policy_compartment_id" {
  description = "OCID of the compartment the IAM policies are attached to. It must be a common ancestor of every compartment the statements name. Null = the tenancy (root compartment)."
  type        = string
  default     = null

  validation {
    condition     = var.policy_compartment_id == null || can(regex("^ocid1\\.(compartment|tenancy)\\.", var.policy_compartment_id))
    error_message = "policy_compartment_id must be null or a compartment OCID (\"ocid1.compartment.…\" or \"ocid1.tenancy.…\")."
  }
}

variable "name_prefix" {
  description = "Prefix of every name this module creates: application, function, dynamic group, policies, event rules, log group, API Gateway."
  type        = string
  default     = "reencrypt"

  validation {
    condition     = can(regex("^[A-Za-z][A-Za-z0-9-]{0,39}$", var.name_prefix))
    error_message = "name_prefix must start with a letter and hold only letters, digits and hyphens, at most 40 characters (it ends up in dynamic group and policy names)."
  }
}

variable "freeform_tags" {
  description = "Free-form tags added to every resource this module creates."
  type        = map(string)
  default     = {}
}

# -----------------------------------------------------------------------------
# Functions application and function
# -----------------------------------------------------------------------------

variable "subnet_ids" {
  description = "OCIDs of the subnet(s) of the Functions application. The subnet must reach Object Storage, Vault and Functions (a service gateway or a NAT gateway)."
  type        = list(string)

  validation {
    condition     = length(var.subnet_ids) > 0 && alltrue([for s in var.subnet_ids : can(regex("^ocid1\\.subnet\\.", s))])
    error_message = "subnet_ids must hold at least one subnet OCID, each starting with \"ocid1.subnet.\"."
  }
}

variable "network_security_group_ids" {
  description = "OCIDs of network security groups for the Functions application. Empty = none."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for n in var.network_security_group_ids : can(regex("^ocid1\\.networksecuritygroup\\.", n))])
    error_message = "network_security_group_ids must hold network security group OCIDs, each starting with \"ocid1.networksecuritygroup.\"."
  }
}

variable "application_shape" {
  description = "Processor architecture of the Functions application: GENERIC_X86, GENERIC_ARM or GENERIC_X86_ARM. The image must be built for it. Changing it replaces the application."
  type        = string
  default     = "GENERIC_X86"

  validation {
    condition     = contains(["GENERIC_X86", "GENERIC_ARM", "GENERIC_X86_ARM"], var.application_shape)
    error_message = "application_shape must be one of GENERIC_X86, GENERIC_ARM, GENERIC_X86_ARM."
  }
}

variable "image" {
  description = "The function's container image in OCI Registry, in the function's region, with a tag or digest, e.g. \"iad.ocir.io/<namespace>/oci-reencrypt:0.1.0-a441835\" as `npm run image -- --push` prints it. Build and push it first (docs/deploy.md)."
  type        = string

  validation {
    condition     = can(regex("^[a-z0-9.-]+(:[0-9]+)?/[^\\s:@]+(:[A-Za-z0-9_][A-Za-z0-9._-]{0,127}|@sha256:[0-9a-f]{64})$", var.image))
    error_message = "image must be a registry path with a tag or digest, e.g. \"iad.ocir.io/mytenancyns/oci-reencrypt:0.1.0-a441835\"."
  }
}

variable "image_digest" {
  description = "Digest of the image (\"sha256:…\") to pin the exact build. Null = whatever the tag points to when the function is updated."
  type        = string
  default     = null

  validation {
    condition     = var.image_digest == null || can(regex("^sha256:[0-9a-f]{64}$", var.image_digest))
    error_message = "image_digest must be null or \"sha256:\" followed by 64 lowercase hex digits."
  }
}

variable "memory_in_mbs" {
  description = "Memory of the function in MB: one of 128, 256, 512, 1024, 2048, 3072."
  type        = number
  default     = 256

  validation {
    condition     = contains([128, 256, 512, 1024, 2048, 3072], var.memory_in_mbs)
    error_message = "memory_in_mbs must be one of 128, 256, 512, 1024, 2048, 3072 (the values OCI Functions allows)."
  }
}

variable "timeout_in_seconds" {
  description = "Timeout of a synchronous invocation (API Gateway, fn invoke, events), 1 to 300 seconds. A job that does not finish answers `incomplete` with a resume token or continues in detached mode."
  type        = number
  default     = 300

  validation {
    condition     = var.timeout_in_seconds >= 1 && var.timeout_in_seconds <= 300 && floor(var.timeout_in_seconds) == var.timeout_in_seconds
    error_message = "timeout_in_seconds must be a whole number from 1 to 300 (the OCI Functions maximum for synchronous calls)."
  }
}

variable "detached_mode_timeout_in_seconds" {
  description = "Timeout of a detached invocation (a job's continuations and parallel shards, and the sweep's resumptions), 5 to 3600 seconds. A shard stops starting work with a safety margin before it and checkpoints."
  type        = number
  default     = 3600

  validation {
    condition     = var.detached_mode_timeout_in_seconds >= 5 && var.detached_mode_timeout_in_seconds <= 3600 && floor(var.detached_mode_timeout_in_seconds) == var.detached_mode_timeout_in_seconds
    error_message = "detached_mode_timeout_in_seconds must be a whole number from 5 to 3600."
  }
}

# -----------------------------------------------------------------------------
# Product configuration (REENCRYPT_* keys, contract §6). Null or empty = the key
# is not set and the product's default applies.
# -----------------------------------------------------------------------------

variable "rules" {
  description = "REENCRYPT_RULES: which key new objects get, first match wins. bucket is a bucket-name glob (`*` only, as OCI Events supports), prefix an object-name prefix (\"\" = every object), kms_key_id the Vault key. Also decides the buckets the createobject event rule listens to and, with kms_key_ids, the keys whose rotation triggers re-encryption."
  type = list(object({
    bucket     = string
    prefix     = optional(string, "")
    kms_key_id = string
  }))
  default = []

  validation {
    condition     = alltrue([for r in var.rules : can(regex("^[A-Za-z0-9._*-]{1,256}$", r.bucket)) && r.bucket != "*"])
    error_message = "Each rule's bucket must be a bucket name or a glob using only letters, digits, '.', '_', '-' and '*' (the only wildcard OCI Events supports), and not \"*\" alone."
  }

  validation {
    condition     = alltrue([for r in var.rules : can(regex("^ocid1\\.key\\.", r.kms_key_id))])
    error_message = "Each rule's kms_key_id must be a Vault key OCID (it starts with \"ocid1.key.\")."
  }

  validation {
    condition     = alltrue([for r in var.rules : try(length(r.prefix) <= 1024, false)])
    error_message = "Each rule's prefix must be a string of at most 1024 characters (use \"\" for every object)."
  }
}

variable "allowed_buckets" {
  description = "REENCRYPT_ALLOWED_BUCKETS: globs over `bucket` or `namespace/bucket`; HTTP and resumed targets outside them are refused with 403. Empty = IAM is the only limit (not allowed with create_api_gateway: name the buckets callers may touch, [\"*\"] for all explicitly)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for b in var.allowed_buckets : can(regex("^([A-Za-z0-9_*-]{1,64}/)?[A-Za-z0-9._*-]{1,256}$", b))])
    error_message = "Each allowed_buckets entry must be a bucket glob or namespace/bucket glob using letters, digits, '.', '_', '-' and '*' (no commas or spaces)."
  }
}

variable "target_compartment_ids" {
  description = "REENCRYPT_COMPARTMENT_IDS and IAM scope: compartments whose buckets the function may read and whose objects it may re-encrypt; rotation jobs and rule globs scan them; the createobject event rule is created in each. Empty = the function's compartment (compartment_id)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.target_compartment_ids : can(regex("^ocid1\\.(compartment|tenancy)\\.", c))])
    error_message = "Each target_compartment_ids entry must be a compartment OCID (\"ocid1.compartment.…\", or the tenancy OCID for the root compartment)."
  }
}

variable "state_bucket_name" {
  description = "REENCRYPT_STATE_BUCKET: `bucket` or `namespace/bucket` for job records, reports, rotation de-duplication and the deployment-wide REENCRYPT_MAX_RPS. The function gets write access to this bucket only. Null = \"<name_prefix>-state\" when create_state_bucket is true (the default), else no state bucket: jobs are then not durable, not de-duplicated, without reports, status or reference tokens (docs/jobs.md)."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_name == null || can(regex("^([A-Za-z0-9_-]{1,64}/)?[A-Za-z0-9._-]{1,256}$", var.state_bucket_name))
    error_message = "state_bucket_name must be null, a bucket name (letters, digits, '.', '_', '-') or namespace/bucket."
  }
}

variable "create_state_bucket" {
  description = "Create the state bucket (private, versioning enabled, previous versions deleted after state_previous_versions_days) named state_bucket_name, or \"<name_prefix>-state\" when that is null, in state_bucket_compartment_id. Default true: durable jobs are the product. False with state_bucket_name null = no state bucket."
  type        = bool
  default     = true

  validation {
    condition     = var.create_state_bucket != null && (!var.create_state_bucket || !can(regex("/", coalesce(var.state_bucket_name, "x"))))
    error_message = "create_state_bucket must be true or false; with true, state_bucket_name must be null or a plain bucket name (no \"namespace/\" part)."
  }
}

variable "state_previous_versions_days" {
  description = "Days a previous version of an object in the created state bucket (every checkpoint rewrites its job record) is kept before the bucket's lifecycle policy deletes it, 1 to 365."
  type        = number
  default     = 7

  validation {
    condition     = try(var.state_previous_versions_days >= 1 && var.state_previous_versions_days <= 365 && floor(var.state_previous_versions_days) == var.state_previous_versions_days, false)
    error_message = "state_previous_versions_days must be a whole number from 1 to 365."
  }
}

variable "token_secret_id" {
  description = "REENCRYPT_TOKEN_SECRET_ID: OCID of a Vault secret holding at least 32 random bytes that sign self-contained resume tokens (HMAC-SHA256) when there is no state bucket. The function may read this secret's bundle only. Null = unsigned tokens, issued to and accepted from direct invocations only (API Gateway callers then cannot resume without a state bucket)."
  type        = string
  default     = null

  validation {
    condition     = var.token_secret_id == null || can(regex("^ocid1\\.vaultsecret\\.[A-Za-z0-9._-]+$", var.token_secret_id))
    error_message = "token_secret_id must be null or a Vault secret OCID (it starts with \"ocid1.vaultsecret.\")."
  }
}

variable "state_bucket_compartment_id" {
  description = "OCID of the compartment holding the state bucket (created or existing). Null = compartment_id."
  type        = string
  default     = null

  validation {
    condition     = var.state_bucket_compartment_id == null || can(regex("^ocid1\\.(compartment|tenancy)\\.", var.state_bucket_compartment_id))
    error_message = "state_bucket_compartment_id must be null or a compartment OCID (\"ocid1.compartment.…\" or \"ocid1.tenancy.…\")."
  }
}

variable "concurrency" {
  description = "REENCRYPT_CONCURRENCY: ReencryptObject calls in flight, 1 to 256. Null = product default (16)."
  type        = number
  default     = null

  validation {
    condition     = var.concurrency == null || try(var.concurrency >= 1 && var.concurrency <= 256 && floor(var.concurrency) == var.concurrency, false)
    error_message = "concurrency must be null or a whole number from 1 to 256."
  }
}

variable "max_rps" {
  description = "REENCRYPT_MAX_RPS: upper bound on Object Storage requests per second, >= 0. Null = unlimited (product default)."
  type        = number
  default     = null

  validation {
    condition     = var.max_rps == null || try(var.max_rps >= 0, false)
    error_message = "max_rps must be null or a number greater than or equal to 0."
  }
}

variable "log_level" {
  description = "REENCRYPT_LOG_LEVEL: debug, info, warn or error. Null = product default (info)."
  type        = string
  default     = null

  validation {
    condition     = var.log_level == null || try(contains(["debug", "info", "warn", "error"], var.log_level), false)
    error_message = "log_level must be null or one of debug, info, warn, error."
  }
}

variable "stop_after_identical_failures" {
  description = "REENCRYPT_STOP_AFTER_IDENTICAL_FAILURES: a scope stops calling once its last N ReencryptObject calls failed with the same non-retryable status and code (a bucket that answers 403 to everything); its other versions are counted failed without a call. 0 = never stop. Null = product default (200)."
  type        = number
  default     = null

  validation {
    condition     = var.stop_after_identical_failures == null || try(var.stop_after_identical_failures >= 0 && var.stop_after_identical_failures <= 1000000 && floor(var.stop_after_identical_failures) == var.stop_after_identical_failures, false)
    error_message = "stop_after_identical_failures must be null or a whole number from 0 to 1000000."
  }
}

variable "endpoint_overrides" {
  description = "REENCRYPT_<SERVICE>_ENDPOINT keys, for private endpoints only: map of key name to base URL (https://…). Allowed keys: REENCRYPT_OBJECTSTORAGE_ENDPOINT, REENCRYPT_KMS_VAULT_ENDPOINT, REENCRYPT_SECRETS_ENDPOINT, REENCRYPT_FUNCTIONS_ENDPOINT, REENCRYPT_EVENTS_ENDPOINT, REENCRYPT_NOTIFICATIONS_ENDPOINT, REENCRYPT_MONITORING_ENDPOINT (the telemetry-ingestion endpoint). Empty = regional endpoints."
  type        = map(string)
  default     = {}

  validation {
    condition = alltrue([
      for k in keys(var.endpoint_overrides) : contains([
        "REENCRYPT_OBJECTSTORAGE_ENDPOINT",
        "REENCRYPT_KMS_VAULT_ENDPOINT",
        "REENCRYPT_SECRETS_ENDPOINT",
        "REENCRYPT_FUNCTIONS_ENDPOINT",
        "REENCRYPT_EVENTS_ENDPOINT",
        "REENCRYPT_NOTIFICATIONS_ENDPOINT",
        "REENCRYPT_MONITORING_ENDPOINT",
      ], k)
    ])
    error_message = "endpoint_overrides keys must be among REENCRYPT_OBJECTSTORAGE_ENDPOINT, REENCRYPT_KMS_VAULT_ENDPOINT, REENCRYPT_SECRETS_ENDPOINT, REENCRYPT_FUNCTIONS_ENDPOINT, REENCRYPT_EVENTS_ENDPOINT, REENCRYPT_NOTIFICATIONS_ENDPOINT, REENCRYPT_MONITORING_ENDPOINT."
  }

  validation {
    condition     = alltrue([for v in values(var.endpoint_overrides) : can(regex("^https?://[^\\s,]+$", v))])
    error_message = "endpoint_overrides values must be base URLs starting with https:// (or http:// for a local emulator)."
  }
}

# Contract v2 settings (§6, §8–§10).

variable "allowed_keys" {
  description = "REENCRYPT_ALLOWED_KEYS: Vault key OCIDs (ocid1.key.…) and Vault secret OCIDs (ocid1.vaultsecret.…) that a request or resume may name as its target key (`kmsKeyId`, `secretId` of `key`). Keys named by the rules are always allowed. Null = the rules' keys plus kms_key_ids; [] = none besides the rules' keys (only `{\"type\":\"bucket\"}` targets). Listed keys also get the key IAM (key-delegate, Object Storage service use), listed secrets the secret-bundle read."
  type        = list(string)
  default     = null

  validation {
    condition     = var.allowed_keys == null || alltrue([for k in coalesce(var.allowed_keys, []) : can(regex("^ocid1\\.(key|vaultsecret)\\.[A-Za-z0-9._-]+$", k))])
    error_message = "Each allowed_keys entry must be a Vault key OCID (\"ocid1.key.…\") or a Vault secret OCID (\"ocid1.vaultsecret.…\"), without commas or spaces."
  }
}

variable "allow_inline_keys" {
  description = "REENCRYPT_ALLOW_INLINE_KEYS: true lets requests give a target SSE-C key inline (`base64Key`); an inline source key is always accepted. Default false: target SSE-C keys must be Vault secrets listed in allowed_keys."
  type        = bool
  default     = false

  validation {
    condition     = var.allow_inline_keys != null
    error_message = "allow_inline_keys must be true or false, not null."
  }
}

variable "max_parallel" {
  description = "REENCRYPT_MAX_PARALLEL: shards of one job running at once as parallel detached invocations, 1 to 64. Each shard is one invocation: mind the region's Functions concurrency (429 past it)."
  type        = number
  default     = 8

  validation {
    condition     = try(var.max_parallel >= 1 && var.max_parallel <= 64 && floor(var.max_parallel) == var.max_parallel, false)
    error_message = "max_parallel must be a whole number from 1 to 64."
  }
}

variable "rotation_method" {
  description = "REENCRYPT_ROTATION_METHOD: how rotation jobs re-encrypt the buckets whose own key rotated: \"objects\" (list and ReencryptObject every version) or \"bucket\" (one ReencryptBucket per bucket, polled as a work request). \"bucket\" adds the bucket-update IAM (see allow_bucket_method)."
  type        = string
  default     = "objects"

  validation {
    condition     = try(contains(["objects", "bucket"], var.rotation_method), false)
    error_message = "rotation_method must be \"objects\" or \"bucket\"."
  }
}

variable "allow_bucket_method" {
  description = "Grant the IAM for ReencryptBucket and its work requests (BUCKET_UPDATE on the target buckets, work request reads) so that requests may use \"method\": \"bucket\". Implied by rotation_method = \"bucket\". Default false: without it a request with \"method\": \"bucket\" is refused by IAM."
  type        = bool
  default     = false

  validation {
    condition     = var.allow_bucket_method != null
    error_message = "allow_bucket_method must be true or false, not null."
  }
}

variable "checkpoint_seconds" {
  description = "REENCRYPT_CHECKPOINT_SECONDS: how often a running shard writes its checkpoint to its job record, 1 to 600 seconds; its lease is 3 times this. Only matters with a state bucket."
  type        = number
  default     = 30

  validation {
    condition     = try(var.checkpoint_seconds >= 1 && var.checkpoint_seconds <= 600 && floor(var.checkpoint_seconds) == var.checkpoint_seconds, false)
    error_message = "checkpoint_seconds must be a whole number from 1 to 600."
  }
}

variable "split_versions" {
  description = "REENCRYPT_SPLIT_VERSIONS: a shard over one bucket or prefix hands the rest of its name range to a new shard each time it has listed this many versions ahead, 100 to 10000000. Lower spreads a big bucket over more shards sooner. Only matters with a state bucket."
  type        = number
  default     = 10000

  validation {
    condition     = try(var.split_versions >= 100 && var.split_versions <= 10000000 && floor(var.split_versions) == var.split_versions, false)
    error_message = "split_versions must be a whole number from 100 to 10000000."
  }
}

# -----------------------------------------------------------------------------
# Keys, secrets and IAM scope
# -----------------------------------------------------------------------------

variable "kms_key_ids" {
  description = "Vault key OCIDs the function works with besides those the rules name, typically the keys assigned to target buckets. Their rotation triggers re-encryption, and the key policies are scoped to rules' keys plus these."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for k in var.kms_key_ids : can(regex("^ocid1\\.key\\.", k))])
    error_message = "Each kms_key_ids entry must be a Vault key OCID (it starts with \"ocid1.key.\")."
  }
}

variable "vault_compartment_ids" {
  description = "OCIDs of the compartments holding the Vault(s), keys and SSE-C secrets. Key and secret statements are written for each, scoped by key/secret id; the key rotation event rule is created in each. Empty = compartment_id."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for c in var.vault_compartment_ids : can(regex("^ocid1\\.(compartment|tenancy)\\.", c))])
    error_message = "Each vault_compartment_ids entry must be a compartment OCID (\"ocid1.compartment.…\" or \"ocid1.tenancy.…\")."
  }
}

variable "vault_ids" {
  description = "OCIDs of the Vaults holding the keys in use: `read vaults` (GetVault, for the key management endpoint) is limited to them with `target.vault.id`. Empty = derived at plan time from the keys in use (the vaults of vault_compartment_ids that hold them, listed with the deployer's credentials); the plan fails if a key's vault is not found there."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for v in var.vault_ids : can(regex("^ocid1\\.vault\\.", v))])
    error_message = "Each vault_ids entry must be a Vault OCID (it starts with \"ocid1.vault.\")."
  }
}

variable "sse_c_secret_ids" {
  description = "OCIDs of the Vault secrets holding SSE-C keys that requests name with `secretId`. The function may read only these secret bundles. Empty = no secret access (inline base64 keys still work)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for s in var.sse_c_secret_ids : can(regex("^ocid1\\.vaultsecret\\.", s))])
    error_message = "Each sse_c_secret_ids entry must be a Vault secret OCID (it starts with \"ocid1.vaultsecret.\")."
  }
}

variable "iam_bucket_names" {
  description = "Buckets the object rights are limited to (IAM `target.bucket.name`; a leading and/or trailing `*` makes an IAM pattern). Empty = derived: allowed_buckets, else the rules' buckets when there is neither an API Gateway nor a bucket key in kms_key_ids (both need buckets no rule names), else every bucket of the target compartments. [\"*\"] = every bucket of the target compartments, explicitly. Rotation of a bucket key reaches only the buckets allowed here."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for b in var.iam_bucket_names : can(regex("^(\\*|\\*?[A-Za-z0-9._-]{1,256}\\*?)$", b))])
    error_message = "Each iam_bucket_names entry must be a bucket name, optionally with '*' at its start and/or end (the only patterns IAM conditions support), or \"*\" alone for every bucket."
  }
}

variable "grant_objectstorage_service_key_access" {
  description = "Add `Allow service objectstorage-<region> to use keys … where target.key.id = …` for the keys in use. Object Storage cannot encrypt with a Vault key without it. Set false if your tenancy already grants it."
  type        = bool
  default     = true
}

# -----------------------------------------------------------------------------
# Events
# -----------------------------------------------------------------------------

variable "rotation_rule_filter_by_key" {
  description = "Filter the key rotation event rule on data.resourceId = the keys in use. The key event payload is UNCONFIRMED: if rotations do not reach the function, set false (the rule then matches every rotation in the vault compartments and the function ignores keys it has no rule or bucket for)."
  type        = bool
  default     = true
}

# -----------------------------------------------------------------------------
# API Gateway (optional)
# -----------------------------------------------------------------------------

variable "create_api_gateway" {
  description = "Create an API Gateway and a deployment with two routes to the function: `POST <path_prefix>/reencrypt` (scope api_scope_reencrypt) and `GET <path_prefix>/reencrypt/jobs/{jobId}` (scope api_scope_status), authenticated by JWT (jwt_issuers, jwt_audiences, jwt_jwks_uri) or by an authorizer function (authorizer_function_id). Other methods and paths are not routed."
  type        = bool
  default     = false

  validation {
    condition     = !var.create_api_gateway || var.authorizer_function_id != null || (length(var.jwt_issuers) > 0 && length(var.jwt_audiences) > 0 && var.jwt_jwks_uri != null)
    error_message = "create_api_gateway = true needs an authentication method: set authorizer_function_id, or all of jwt_issuers, jwt_audiences and jwt_jwks_uri. The route is never anonymous."
  }

  validation {
    condition     = !var.create_api_gateway || var.api_gateway_subnet_id != null
    error_message = "create_api_gateway = true needs api_gateway_subnet_id."
  }

  # Without a bucket list, every caller holding the write scope could re-encrypt every bucket of
  # the target compartments (use objects is compartment-wide, sub-compartments included).
  validation {
    condition     = !var.create_api_gateway || length(var.allowed_buckets) > 0
    error_message = "create_api_gateway = true needs allowed_buckets: the buckets the gateway's callers may touch (REENCRYPT_ALLOWED_BUCKETS, also the IAM bucket narrowing); [\"*\"] says every bucket explicitly."
  }

  # IAM lets "API Gateway in a compartment" call the function; no condition naming one gateway or
  # deployment is documented. So the gateway's compartment must be one nothing else shares: any
  # deployment there, even an anonymous one, could call the function and skip the JWT.
  validation {
    condition     = !var.create_api_gateway || (var.api_gateway_compartment_id != null && var.api_gateway_compartment_id != var.compartment_id && !contains(var.target_compartment_ids, coalesce(var.api_gateway_compartment_id, "-")))
    error_message = "create_api_gateway = true needs api_gateway_compartment_id: a compartment of its own for the gateway (not compartment_id, not a target compartment) where no one else may create API deployments, because IAM lets every API Gateway deployment in that compartment invoke the function."
  }
}

variable "api_scope_reencrypt" {
  description = "Scope a caller's token must hold for `POST <api_path_prefix>/reencrypt` (re-encrypt requests and resumes): the JWT `scope` claim, or the scope an authorizer function returns. Case-sensitive."
  type        = string
  default     = "reencrypt:write"

  validation {
    condition     = can(regex("^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}$", var.api_scope_reencrypt))
    error_message = "api_scope_reencrypt must be 1 to 128 printable ASCII characters without spaces, quotes or backslashes (an OAuth scope token)."
  }
}

variable "api_scope_status" {
  description = "Scope a caller's token must hold for `GET <api_path_prefix>/reencrypt/jobs/{jobId}` (job status). Must differ from api_scope_reencrypt, so a read-only token cannot start jobs. Case-sensitive."
  type        = string
  default     = "reencrypt:read"

  validation {
    condition     = can(regex("^[\\x21\\x23-\\x5B\\x5D-\\x7E]{1,128}$", var.api_scope_status))
    error_message = "api_scope_status must be 1 to 128 printable ASCII characters without spaces, quotes or backslashes (an OAuth scope token)."
  }

  validation {
    condition     = var.api_scope_status != var.api_scope_reencrypt
    error_message = "api_scope_status must differ from api_scope_reencrypt: each route has its own scope."
  }
}

variable "api_gateway_subnet_id" {
  description = "OCID of the subnet of the API Gateway (a public subnet for endpoint type PUBLIC)."
  type        = string
  default     = null

  validation {
    condition     = var.api_gateway_subnet_id == null || can(regex("^ocid1\\.subnet\\.", var.api_gateway_subnet_id))
    error_message = "api_gateway_subnet_id must be null or a subnet OCID (it starts with \"ocid1.subnet.\")."
  }
}

variable "api_gateway_endpoint_type" {
  description = "API Gateway endpoint type: PRIVATE (default: reachable only from hosts that can route to api_gateway_subnet_id, e.g. an instance in the VCN or a Bastion port-forwarding session; see docs/deploy.md) or PUBLIC (on the internet, in a public subnet: the JWT and its scopes are then the only gate)."
  type        = string
  default     = "PRIVATE"

  validation {
    condition     = contains(["PUBLIC", "PRIVATE"], var.api_gateway_endpoint_type)
    error_message = "api_gateway_endpoint_type must be PUBLIC or PRIVATE."
  }
}

variable "api_gateway_compartment_id" {
  description = "OCID of the compartment of the API Gateway and deployment: with create_api_gateway, required and dedicated to it (not compartment_id, not a target compartment; grant no one else the right to create API deployments there), because IAM lets any API Gateway deployment of that compartment invoke the function."
  type        = string
  default     = null

  validation {
    condition     = var.api_gateway_compartment_id == null || can(regex("^ocid1\\.(compartment|tenancy)\\.", var.api_gateway_compartment_id))
    error_message = "api_gateway_compartment_id must be null or a compartment OCID (\"ocid1.compartment.…\" or \"ocid1.tenancy.…\")."
  }
}

variable "api_path_prefix" {
  description = "Path prefix of the API deployment; the routes are <prefix>/reencrypt and <prefix>/reencrypt/jobs/{jobId}."
  type        = string
  default     = "/v1"

  validation {
    condition     = can(regex("^/[A-Za-z0-9._~-]+(/[A-Za-z0-9._~-]+)*$", var.api_path_prefix))
    error_message = "api_path_prefix must start with '/' and hold path segments of letters, digits, '.', '_', '~', '-' (no trailing '/'), e.g. \"/v1\"."
  }
}

variable "jwt_issuers" {
  description = "JWT authentication: accepted token issuers (`iss`), e.g. an identity domain URL."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for i in var.jwt_issuers : length(trimspace(i)) > 0])
    error_message = "jwt_issuers entries must not be empty."
  }
}

variable "jwt_audiences" {
  description = "JWT authentication: accepted audiences (`aud`)."
  type        = list(string)
  default     = []

  validation {
    condition     = alltrue([for a in var.jwt_audiences : length(trimspace(a)) > 0])
    error_message = "jwt_audiences entries must not be empty."
  }
}

variable "jwt_jwks_uri" {
  description = "JWT authentication: URI of the issuer's JSON Web Key Set (REMOTE_JWKS), https only."
  type        = string
  default     = null

  validation {
    condition     = var.jwt_jwks_uri == null || can(regex("^https://[^\\s]+$", var.jwt_jwks_uri))
    error_message = "jwt_jwks_uri must be null or an https:// URL."
  }
}

variable "authorizer_function_id" {
  description = "Authorizer function OCID (CUSTOM_AUTHENTICATION, token in the Authorization header). When set it is used instead of JWT; it must return the caller's scopes, which the routes check against api_scope_reencrypt / api_scope_status. Set authorizer_function_compartment_id if it lives outside compartment_id."
  type        = string
  default     = null

  validation {
    condition     = var.authorizer_function_id == null || can(regex("^ocid1\\.fnfunc\\.", var.authorizer_function_id))
    error_message = "authorizer_function_id must be null or a function OCID (it starts with \"ocid1.fnfunc.\")."
  }

  validation {
    condition     = var.authorizer_function_id == null || (length(var.jwt_issuers) == 0 && var.jwt_jwks_uri == null)
    error_message = "Set either authorizer_function_id or the jwt_* variables, not both."
  }
}

variable "authorizer_function_compartment_id" {
  description = "OCID of the compartment of the authorizer function, for the policy letting API Gateway invoke it (that function only). Null = compartment_id."
  type        = string
  default     = null

  validation {
    condition     = var.authorizer_function_compartment_id == null || can(regex("^ocid1\\.(compartment|tenancy)\\.", var.authorizer_function_compartment_id))
    error_message = "authorizer_function_compartment_id must be null or a compartment OCID (\"ocid1.compartment.…\" or \"ocid1.tenancy.…\")."
  }
}

# -----------------------------------------------------------------------------
# Durable jobs: the sweep (contract §8)
# -----------------------------------------------------------------------------

variable "enable_sweep" {
  description = "Schedule `{\"sweep\": true}` with OCI Resource Scheduler, which resumes every job whose lease expired with work remaining (crashed or timed-out invocations). Takes effect only when a state bucket is configured (state_bucket_name); without one there are no job records to sweep."
  type        = bool
  default     = true

  validation {
    condition     = var.enable_sweep != null
    error_message = "enable_sweep must be true or false, not null."
  }
}

variable "sweep_schedule" {
  description = "When the sweep runs: a 5-field UNIX cron expression (recurrence type CRON), e.g. \"*/10 * * * *\" = every 10 minutes, or an RFC 5545 recurrence rule starting with \"FREQ=\" (recurrence type ICAL), e.g. \"FREQ=HOURLY;INTERVAL=1\"."
  type        = string
  default     = "*/10 * * * *"

  validation {
    condition     = can(regex("^([0-9*/,-]+ ){4}[0-9A-Za-z*/,?-]+$", var.sweep_schedule)) || can(regex("^FREQ=(MINUTELY|HOURLY|DAILY|WEEKLY|MONTHLY)(;[A-Z]+=[A-Za-z0-9,+-]+)*$", var.sweep_schedule))
    error_message = "sweep_schedule must be a 5-field cron expression such as \"*/10 * * * *\", or an RFC 5545 rule such as \"FREQ=MINUTELY;INTERVAL=10\"."
  }
}

# -----------------------------------------------------------------------------
# Logging
# -----------------------------------------------------------------------------

variable "create_log_group" {
  description = "Create a log group and a service log holding the application's function invocation logs (functions / invoke)."
  type        = bool
  default     = true
}

variable "log_retention_days" {
  description = "Retention of the invocation log in days: 30, 60, 90, 120, 150 or 180."
  type        = number
  default     = 30

  validation {
    condition     = contains([30, 60, 90, 120, 150, 180], var.log_retention_days)
    error_message = "log_retention_days must be one of 30, 60, 90, 120, 150, 180 (OCI Logging allows 30-day steps up to 180)."
  }
}

# Contract v3 §13: notifications and metrics.

variable "create_notify_topic" {
  description = "Create a Notifications topic (`<name_prefix>-ops`) for job ends, stalled jobs and key-lifecycle hazards, and set REENCRYPT_NOTIFY_TOPIC to it. Ignored when notify_topic_id names an existing topic. False and no notify_topic_id = no messages (and no alarms)."
  type        = bool
  default     = true
}

variable "notify_topic_id" {
  description = "REENCRYPT_NOTIFY_TOPIC: OCID of an existing Notifications topic (ocid1.onstopic.…) to publish to instead of creating one. The function may publish to this topic only (use ons-topics where target.ons-topic.id). Null = create_notify_topic decides."
  type        = string
  default     = null

  validation {
    condition     = var.notify_topic_id == null || can(regex("^ocid1\\.onstopic\\.[A-Za-z0-9._-]+$", var.notify_topic_id))
    error_message = "notify_topic_id must be null or a Notifications topic OCID (\"ocid1.onstopic.…\")."
  }
}

variable "notify_topic_compartment_id" {
  description = "OCID of the compartment holding the existing topic of notify_topic_id (where its publish right and its e-mail subscription go). Null = compartment_id. A created topic is always in compartment_id."
  type        = string
  default     = null

  validation {
    condition     = var.notify_topic_compartment_id == null || can(regex("^ocid1\\.(compartment|tenancy)\\.", var.notify_topic_compartment_id))
    error_message = "notify_topic_compartment_id must be null or a compartment OCID (\"ocid1.compartment.…\" or \"ocid1.tenancy.…\")."
  }
}

variable "notify_email" {
  description = "An e-mail address subscribed to the topic (oci_ons_subscription, protocol EMAIL): it must confirm the subscription from the e-mail Notifications sends. Null = no subscription (subscribe by hand, or use another protocol)."
  type        = string
  default     = null

  validation {
    condition     = var.notify_email == null || can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", var.notify_email))
    error_message = "notify_email must be null or an e-mail address (name@example.com)."
  }

  validation {
    condition     = var.notify_email == null || var.notify_topic_id != null || var.create_notify_topic
    error_message = "notify_email needs a topic: keep create_notify_topic = true or set notify_topic_id."
  }
}

variable "metrics_namespace" {
  description = "REENCRYPT_METRICS_NAMESPACE: the custom metrics namespace (letters, digits, underscores, starting with a letter; not oci_ or oracle_, which OCI reserves). The function may post metrics into this namespace only (target.metrics.namespace). \"\" = no metrics, no metrics IAM and no alarms."
  type        = string
  default     = "reencrypt"

  validation {
    condition     = var.metrics_namespace == "" || can(regex("^[A-Za-z][A-Za-z0-9_]{0,254}$", var.metrics_namespace))
    error_message = "metrics_namespace must be \"\" (off) or start with a letter and hold only letters, digits and underscores (at most 255)."
  }

  validation {
    condition     = !can(regex("^(?i)(oci_|oracle_)", var.metrics_namespace))
    error_message = "metrics_namespace must not start with oci_ or oracle_: OCI reserves those prefixes for its own metrics."
  }
}

variable "metrics_compartment_id" {
  description = "REENCRYPT_METRICS_COMPARTMENT_ID: OCID of the compartment the metrics are posted to (and the alarms read). Null = compartment_id, the function's own compartment (the product's default)."
  type        = string
  default     = null

  validation {
    condition     = var.metrics_compartment_id == null || can(regex("^ocid1\\.(compartment|tenancy)\\.", var.metrics_compartment_id))
    error_message = "metrics_compartment_id must be null or a compartment OCID (\"ocid1.compartment.…\" or \"ocid1.tenancy.…\")."
  }
}

variable "create_alarms" {
  description = "Create the two Monitoring alarms aimed at the topic: failed versions (VersionsFailed[5m].sum() > 0, CRITICAL) and stalled jobs (JobsStalled[15m].max() > 0, WARNING). Only with metrics on (metrics_namespace not \"\") and a topic."
  type        = bool
  default     = true
}
