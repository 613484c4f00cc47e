data "oci_objectstorage_namespace" "this" {
  count          = var.create_state_bucket ? 1 : 0
  compartment_id = var.tenancy_ocid
}

# Job reports and rotation de-duplication markers. Private, versioned; the
# function may write here and nowhere else (iam.tf). Objects in this bucket are
# never re-encrypted by events (contract §5).
resource "oci_objectstorage_bucket" "state" {
  count = var.create_state_bucket ? 1 : 0

  compartment_id = local.state_bucket_compartment_id
  namespace      = data.oci_objectstorage_namespace.this[0].namespace
  name           = local.state_bucket_only
  access_type    = "NoPublicAccess"
  versioning     = "Enabled"
  freeform_tags  = var.freeform_tags
}

# Every checkpoint rewrites its job record, and each runner entry is rewritten at every
# checkpoint: in a versioned bucket each write leaves a previous version. They are kept
# state_previous_versions_days (to look back at a job's history), then deleted. The Object
# Storage service's right to do so, in this bucket only, is in iam.tf.
resource "oci_objectstorage_object_lifecycle_policy" "state" {
  count = var.create_state_bucket ? 1 : 0

  namespace = data.oci_objectstorage_namespace.this[0].namespace
  bucket    = oci_objectstorage_bucket.state[0].name

  rules {
    name        = "delete-previous-versions"
    action      = "DELETE"
    is_enabled  = true
    target      = "previous-object-versions"
    time_amount = tostring(var.state_previous_versions_days)
    time_unit   = "DAYS"
  }

  depends_on = [oci_identity_policy.services]
}
