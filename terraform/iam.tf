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

  # Optional narrowing of the object rights to named buckets. IAM patterns are
  # written /name*/ (a '*' at the start and/or end only).
  bucket_condition = length(var.iam_bucket_names) == 0 ? "" : " where any {${join(", ", [
    for b in var.iam_bucket_names : strcontains(b, "*") ? "target.bucket.name = /${b}/" : "target.bucket.name = '${b}'"
  ])}}"
  key_condition    = "where any {${join(", ", [for k in local.key_ids : "target.key.id = '${k}'"])}}"
  secret_condition = "where any {${join(", ", [for s in var.sse_c_secret_ids : "target.secret.id = '${s}'"])}}"

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
      length(var.iam_bucket_names) == 0 ? [] : [
        # ListBuckets (rotation jobs and rule globs find their buckets). A bucket-name
        # condition cannot apply to a list call, so inspect (names only) is separate.
        "Allow ${local.dg} to inspect buckets in compartment id ${c}",
      ],
      [
        # GetBucket: the bucket's kmsKeyId (rotation jobs) and objectEventsEnabled
        # (diagnose); ListBuckets when not narrowed to named buckets.
        "Allow ${local.dg} to read buckets in compartment id ${c}${local.bucket_condition}",
        # ListObjects and ListObjectVersions (OBJECT_INSPECT), HeadObject (OBJECT_READ),
        # ReencryptObject (OBJECT_READ + OBJECT_OVERWRITE). `use` is the lowest verb
        # holding OBJECT_OVERWRITE; it holds no OBJECT_CREATE or OBJECT_DELETE.
        "Allow ${local.dg} to use objects in compartment id ${c}${local.bucket_condition}",
      ],
    )
  ])

  state_statements = local.state_bucket_only == null ? [] : [
    # PutObject of reports and rotation markers (OBJECT_CREATE), GetObject and
    # ListObjects of markers: the state bucket only.
    "Allow ${local.dg} to manage objects in compartment id ${local.state_bucket_compartment_id} where target.bucket.name = '${local.state_bucket_only}'",
  ]

  key_statements = length(local.key_ids) == 0 ? [] : flatten([
    for c in local.vault_compartment_ids : [
      # GetKey, GetKeyVersion, ListKeyVersions: confirm a rotation happened and wait for
      # currentKeyVersion (key versions are covered by the `keys` resource type).
      "Allow ${local.dg} to read keys in compartment id ${c} ${local.key_condition}",
      # GetVault: the vault's management endpoint, needed to call GetKey.
      "Allow ${local.dg} to read vaults in compartment id ${c}",
      # ReencryptObject with kmsKeyId (rules, rotation jobs) assigns these keys to objects.
      "Allow ${local.dg} to use key-delegate in compartment id ${c} ${local.key_condition}",
    ]
  ])

  secret_statements = length(var.sse_c_secret_ids) == 0 ? [] : [
    for c in local.vault_compartment_ids :
    # GetSecretBundle: SSE-C keys named by `secretId` in requests; these secrets only.
    "Allow ${local.dg} to read secret-bundles in compartment id ${c} ${local.secret_condition}"
  ]

  self_statements = [
    # InvokeFunction with fn-invoke-type: detached, to continue a long job. The
    # Functions policy reference documents no function-id variable, so this is
    # scoped to the function's compartment (give it its own compartment to narrow it).
    "Allow ${local.dg} to use fn-invocation in compartment id ${var.compartment_id}",
    # GetFunction: the function's own invoke endpoint for the detached call.
    "Allow ${local.dg} to read fn-function in compartment id ${var.compartment_id}",
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

  function_statements = concat(
    local.object_statements,
    local.state_statements,
    local.key_statements,
    local.secret_statements,
    local.self_statements,
    local.diagnose_statements,
    local.namespace_statements,
  )

  # ---------------------------------------------------------------------------
  # What OCI services may do on the function's behalf.
  # ---------------------------------------------------------------------------
  service_statements = concat(
    local.has_event_rules ? [
      # Events service: invoke the function when a rule fires (without it the rule
      # looks active but the function is never called).
      "Allow service cloudEvents to use functions-family in compartment id ${var.compartment_id}",
    ] : [],
    var.grant_objectstorage_service_key_access && length(local.key_ids) > 0 ? [
      for c in local.vault_compartment_ids :
      # Object Storage service: encrypt and decrypt object keys with these Vault keys.
      "Allow service objectstorage-${var.region} to use keys in compartment id ${c} ${local.key_condition}"
    ] : [],
    var.create_api_gateway ? [
      # API Gateway: call the function from deployments in the gateway's compartment.
      "Allow any-user to use functions-family in compartment id ${var.compartment_id} where ALL {request.principal.type = 'ApiGateway', request.resource.compartment.id = '${local.api_gateway_compartment_id}'}",
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
  }
}

resource "oci_identity_policy" "services" {
  count = length(local.service_statements) > 0 ? 1 : 0

  compartment_id = local.policy_compartment
  name           = local.service_policy
  description    = "OCI services acting for the ${local.function_name} function: Events, Object Storage, API Gateway."
  statements     = local.service_statements
  freeform_tags  = var.freeform_tags
}
