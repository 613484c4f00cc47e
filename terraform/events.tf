# An event rule matches events of its own compartment and of its child
# compartments, so each rule is created in every compartment whose events it
# must see. Nested target compartments would deliver an event twice; list only
# the compartments you need (ReencryptObject is idempotent, but it costs a call).

# createobject, limited to the buckets the rules name (OCI Events supports `*`
# wildcards, so rule globs are passed as they are). Only created when there are
# rules: without a rule every createobject answer would be `skipped`.
# The buckets must emit object events (objectEventsEnabled); see README.md, "Before the first `apply`".
resource "oci_events_rule" "object_created" {
  for_each = length(var.rules) > 0 ? toset(local.target_compartment_ids) : toset([])

  compartment_id = each.value
  display_name   = "${var.name_prefix}-object-created"
  description    = "Re-encrypt new objects in the buckets named by the ${local.function_name} rules."
  is_enabled     = true
  freeform_tags  = var.freeform_tags

  condition_details {
    event_types = local.object_event_types
    data = jsonencode({
      additionalDetails = { bucketName = local.rule_bucket_globs }
    })
  }

  actions {
    action {
      action_type = "FAAS"
      is_enabled  = true
      function_id = oci_functions_function.this.id
      description = "Invoke ${local.function_name}"
    }
  }
}

# Manual rotation (CreateKeyVersion) and automatic rotation, for the keys in use.
# UNCONFIRMED: the key event payload was not verified; data.resourceId is
# expected to be the key OCID (the envelope convention), but it may be the key
# version OCID. If rotations do not reach the function, set
# rotation_rule_filter_by_key = false; the function then receives every
# rotation in the vault compartments and ignores keys it does not use.
resource "oci_events_rule" "key_rotated" {
  for_each = length(local.key_ids) > 0 ? toset(local.vault_compartment_ids) : toset([])

  compartment_id = each.value
  display_name   = "${var.name_prefix}-key-rotated"
  description    = "Re-encrypt objects under a rotated Vault key with ${local.function_name}."
  is_enabled     = true
  freeform_tags  = var.freeform_tags

  condition_details {
    event_types = local.key_rotation_event_types
    data        = var.rotation_rule_filter_by_key ? jsonencode({ resourceId = local.key_ids }) : null
  }

  actions {
    action {
      action_type = "FAAS"
      is_enabled  = true
      function_id = oci_functions_function.this.id
      description = "Invoke ${local.function_name}"
    }
  }
}

# A bucket's settings changed (contract §12): the function compares its key with
# the inventory it keeps in the state bucket and follows a key change with a
# key-change job. Only with a state bucket (the inventory lives there); the
# sweep finds the changes an event missed.
resource "oci_events_rule" "bucket_updated" {
  for_each = local.state_bucket_value == null ? toset([]) : toset(local.target_compartment_ids)

  compartment_id = each.value
  display_name   = "${var.name_prefix}-bucket-updated"
  description    = "Follow a bucket whose key changes with ${local.function_name}."
  is_enabled     = true
  freeform_tags  = var.freeform_tags

  condition_details {
    event_types = local.bucket_event_types
  }

  actions {
    action {
      action_type = "FAAS"
      is_enabled  = true
      function_id = oci_functions_function.this.id
      description = "Invoke ${local.function_name}"
    }
  }
}

# A key or key version about to stop working (disable, scheduled deletion): the
# function answers what still depends on it and notifies. Not filtered by key:
# a key version's events name the version, not the key; the function answers
# "clear" for keys nothing depends on.
resource "oci_events_rule" "key_retirement" {
  for_each = length(local.key_ids) > 0 ? toset(local.vault_compartment_ids) : toset([])

  compartment_id = each.value
  display_name   = "${var.name_prefix}-key-retirement"
  description    = "Warn before a Vault key still in use by ${local.function_name}'s buckets and rules stops working."
  is_enabled     = true
  freeform_tags  = var.freeform_tags

  condition_details {
    event_types = local.key_retirement_event_types
  }

  actions {
    action {
      action_type = "FAAS"
      is_enabled  = true
      function_id = oci_functions_function.this.id
      description = "Invoke ${local.function_name}"
    }
  }
}
