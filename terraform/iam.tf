# -----------------------------------------------------------------------------
# Identity of the function: a dynamic group matching this one function only.
# -----------------------------------------------------------------------------
resource "oci_identity_dynamic_group" "function" {
  compartment_id = var.tenancy_ocid
  name           = local.dynamic_group_name
  description    = "The ${local.function_name} function (oci-reencrypt) and nothing else."
  matching_rule  = "ALL {resource.type = 'fnfunc', resource.id = '${oci_functions_function.this.id}'}"
  freeform_tags  = var.freeform_tags
}

locals {
  dg = "dynamic-group ${oci_identity_dynamic_group.function.name}"

  # The function's OCID exists only once the function is created; every policy
  # naming it therefore depends on oci_functions_function.this (Terraform orders
  # it), and so does the dynamic group above.
  this_function = "target.function.id = '${oci_functions_function.this.id}'"

  key_condition    = "where any {${join(", ", [for k in local.iam_key_ids : "target.key.id = '${k}'"])}}"
  secret_condition = "where any {${join(", ", [for s in local.iam_secret_ids : "target.secret.id = '${s}'"])}}"
  # GetVault only on the vaults of the keys: vault_ids, else derived from the keys (vaults.tf).
  read_vault_ids  = length(var.vault_ids) > 0 ? var.vault_ids : local.derived_vault_ids
  vault_condition = length(local.read_vault_ids) == 0 ? "" : " where any {${join(", ", [for v in local.read_vault_ids : "target.vault.id = '${v}'"])}}"

  # Object and bucket rights are limited to the buckets of local.iam_bucket_any
  # (locals.tf) whenever the module knows them.
  bucket_where = local.iam_buckets_narrowed ? " where ${local.iam_bucket_any}" : ""

  has_event_rules = length(var.rules) > 0 || length(local.key_ids) > 0
  # Compartments holding this module's event rules, plus the function's own.
  event_rule_compartment_ids = distinct(concat(
    [var.compartment_id],
    length(var.rules) > 0 ? local.target_compartment_ids : [],
    length(local.key_ids) > 0 ? local.vault_compartment_ids : [],
  ))

  # ---------------------------------------------------------------------------
  # What the function may do. Every object or bucket statement names a
  # compartment; nothing on objects or buckets is granted in the tenancy.
  # ---------------------------------------------------------------------------
  object_statements = flatten([
    for c in local.target_compartment_ids : concat(
      local.iam_buckets_narrowed ? [
        # ListBuckets (rotation jobs and rule globs find their buckets). A bucket-name
        # condition cannot apply to a list call, so inspect (names only) is separate.
        "Allow ${local.dg} to inspect buckets in compartment id ${c}",
      ] : [],
      [
        # GetBucket: the bucket's kmsKeyId (rotation jobs) and objectEventsEnabled
        # (diagnose); ListBuckets when not narrowed to named buckets.
        "Allow ${local.dg} to read buckets in compartment id ${c}${local.bucket_where}",
        # ListObjects and ListObjectVersions (OBJECT_INSPECT), HeadObject (OBJECT_READ),
        # ReencryptObject (OBJECT_READ + OBJECT_OVERWRITE). `use` is the lowest verb
        # holding OBJECT_OVERWRITE; it holds no OBJECT_CREATE or OBJECT_DELETE.
        "Allow ${local.dg} to use objects in compartment id ${c}${local.bucket_where}",
      ],
    )
  ])

  state_statements = local.state_bucket_only == null ? [] : [
    # The state bucket, and in it only what the function does: ListObjects of jobs/,
    # reports/ and runner-* (OBJECT_INSPECT); GetObject and HeadObject of job records and
    # rotation markers (OBJECT_READ); PutObject of new records, markers, reports and runner
    # entries (OBJECT_CREATE); PutObject over a job record or a runner entry
    # (OBJECT_OVERWRITE).
    "Allow ${local.dg} to manage objects in compartment id ${local.state_bucket_compartment_id} where all {target.bucket.name = '${local.state_bucket_only}', any {request.permission = 'OBJECT_INSPECT', request.permission = 'OBJECT_READ', request.permission = 'OBJECT_CREATE', request.permission = 'OBJECT_OVERWRITE'}}",
    # DeleteObject of runner entries only (runner-<invocation>.json, the deployment-wide
    # REENCRYPT_MAX_RPS registry): job records, markers and reports are never deleted.
    "Allow ${local.dg} to manage objects in compartment id ${local.state_bucket_compartment_id} where all {target.bucket.name = '${local.state_bucket_only}', target.object.name = /runner-*/, request.permission = 'OBJECT_DELETE'}",
  ]

  bucket_method_statements = !local.bucket_method_enabled ? [] : flatten([
    for c in local.target_compartment_ids : [
      # ReencryptBucket (rotation_method = "bucket", or "method": "bucket" in a request):
      # BUCKET_UPDATE (UNCONFIRMED: third-party summary of the policy reference), and
      # only that permission, on the target buckets.
      "Allow ${local.dg} to manage buckets in compartment id ${c} where all {request.permission = 'BUCKET_UPDATE'${local.iam_buckets_narrowed ? ", ${local.iam_bucket_any}" : ""}}",
      # GetWorkRequest / ListWorkRequestErrors: poll ReencryptBucket's work request across
      # invocations. Which Object Storage permission authorises them is UNCONFIRMED, so the
      # object family is read-granted for those two operations only.
      "Allow ${local.dg} to read object-family in compartment id ${c} where any {request.operation = 'GetWorkRequest', request.operation = 'ListWorkRequestErrors'}",
    ]
  ])

  key_statements = length(local.iam_key_ids) == 0 ? [] : flatten([
    for c in local.vault_compartment_ids : [
      # GetKey, GetKeyVersion, ListKeyVersions: confirm a rotation happened and wait for
      # currentKeyVersion (key versions are covered by the `keys` resource type).
      "Allow ${local.dg} to read keys in compartment id ${c} ${local.key_condition}",
      # GetVault: the vault's management endpoint, needed to call GetKey; limited to
      # vault_ids (target.vault.id) when given.
      "Allow ${local.dg} to read vaults in compartment id ${c}${local.vault_condition}",
      # ReencryptObject with kmsKeyId (rules, rotation jobs, allowed_keys) assigns these
      # keys to objects.
      "Allow ${local.dg} to use key-delegate in compartment id ${c} ${local.key_condition}",
    ]
  ])

  secret_statements = length(local.iam_secret_ids) == 0 ? [] : [
    for c in local.vault_compartment_ids :
    # GetSecretBundle: SSE-C keys named by `secretId` (sse_c_secret_ids, and the secrets
    # of allowed_keys); these secrets only.
    "Allow ${local.dg} to read secret-bundles in compartment id ${c} ${local.secret_condition}"
  ]

  self_statements = [
    # InvokeFunction with fn-invoke-type: detached: a job's continuations, its parallel
    # shards and the sweep's resumptions. This function only (target.function.id).
    "Allow ${local.dg} to use fn-invocation in compartment id ${var.compartment_id} where ${local.this_function}",
    # GetFunction: the function's own invoke endpoint for those calls; this function only.
    "Allow ${local.dg} to read fn-function in compartment id ${var.compartment_id} where ${local.this_function}",
  ]

  diagnose_statements = [
    for c in local.event_rule_compartment_ids :
    # ListRules, GetRule: `diagnose` checks the event rules exist, are enabled and target it.
    "Allow ${local.dg} to read cloudevents-rules in compartment id ${c}"
  ]

  namespace_statements = [
    # GetNamespace, when a target or event gives no namespace. A namespace is a
    # tenancy-level resource; whether GetNamespace needs this at all is UNCONFIRMED.
    "Allow ${local.dg} to read objectstorage-namespaces in tenancy",
  ]

  operations_statements = concat(
    local.has_notify_topic ? [
      # PublishMessage (job ends, stalled jobs, key hazards) and GetTopic (diagnose): this topic only.
      "Allow ${local.dg} to use ons-topics in compartment id ${local.notify_topic_compartment_id} where target.ons-topic.id = '${local.notify_topic_id}'",
    ] : [],
    local.metrics_enabled ? [
      # PostMetricData (METRIC_WRITE): into this namespace only, in the metrics compartment.
      "Allow ${local.dg} to use metrics in compartment id ${local.metrics_compartment_id} where target.metrics.namespace = '${var.metrics_namespace}'",
    ] : [],
  )

  function_statements = concat(
    local.object_statements,
    local.state_statements,
    local.bucket_method_statements,
    local.key_statements,
    local.secret_statements,
    local.self_statements,
    local.diagnose_statements,
    local.namespace_statements,
    local.operations_statements,
  )

  # ---------------------------------------------------------------------------
  # What OCI services may do on the function's behalf: each may call this
  # function only (target.function.id), never every function of the compartment.
  # ---------------------------------------------------------------------------
  service_statements = concat(
    local.has_event_rules ? [
      # Events service: invoke the function when a rule fires (without it the rule
      # looks active but the function is never called).
      "Allow service cloudEvents to use functions-family in compartment id ${var.compartment_id} where ${local.this_function}",
    ] : [],
    var.grant_objectstorage_service_key_access && length(local.iam_key_ids) > 0 ? [
      for c in local.vault_compartment_ids :
      # Object Storage service: encrypt and decrypt object keys with these Vault keys.
      "Allow service objectstorage-${var.region} to use keys in compartment id ${c} ${local.key_condition}"
    ] : [],
    var.create_api_gateway ? [
      # API Gateway: deployments in the gateway's compartment call this function. No IAM
      # condition naming one gateway or deployment is documented, so that compartment must be
      # the gateway's own (variables.tf refuses compartment_id and the target compartments).
      "Allow any-user to use functions-family in compartment id ${var.compartment_id} where ALL {request.principal.type = 'ApiGateway', request.resource.compartment.id = '${local.api_gateway_compartment_id}', ${local.this_function}}",
    ] : [],
    var.create_api_gateway && local.api_uses_authorizer ? [
      # API Gateway: call the authorizer function (CUSTOM_AUTHENTICATION), that function only.
      "Allow any-user to use functions-family in compartment id ${local.authorizer_function_compartment_id} where ALL {request.principal.type = 'ApiGateway', request.resource.compartment.id = '${local.api_gateway_compartment_id}', target.function.id = '${var.authorizer_function_id}'}",
    ] : [],
    var.create_state_bucket ? [
      # Object Storage service: carry out the state bucket's lifecycle policy (delete previous
      # object versions), in that bucket only.
      "Allow service objectstorage-${var.region} to manage object-family in compartment id ${local.state_bucket_compartment_id} where target.bucket.name = '${local.state_bucket_only}'",
    ] : [],
    local.sweep_enabled ? [
      # Resource Scheduler: the sweep schedule (its resource principal, by OCID) invokes
      # this function with {"sweep": true}.
      "Allow any-user to use functions-family in compartment id ${var.compartment_id} where ALL {request.principal.type = 'resourceschedule', request.principal.id = '${one(oci_resource_scheduler_schedule.sweep[*].id)}', ${local.this_function}}",
    ] : [],
  )
}

resource "oci_identity_policy" "function" {
  compartment_id = local.policy_compartment
  name           = local.function_policy
  description    = "Least privilege for the ${local.function_name} function (oci-reencrypt)."
  statements     = local.function_statements
  freeform_tags  = var.freeform_tags

  lifecycle {
    precondition {
      condition     = length(local.function_statements) <= 50
      error_message = "More than 50 statements in one policy (OCI's limit): use fewer target or vault compartments."
    }
    precondition {
      condition     = length(local.keys_without_vault) == 0
      error_message = "The vault of some keys in use was not found in vault_compartment_ids (read vaults is limited to the keys' vaults): set vault_ids, or add the vaults' compartments to vault_compartment_ids."
    }
  }
}

resource "oci_identity_policy" "services" {
  count = length(local.service_statements) > 0 ? 1 : 0

  compartment_id = local.policy_compartment
  name           = local.service_policy
  description    = "OCI services acting for the ${local.function_name} function: Events, Object Storage, API Gateway, Resource Scheduler."
  statements     = local.service_statements
  freeform_tags  = var.freeform_tags
}
