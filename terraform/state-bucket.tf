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
  name           = var.state_bucket_name
  access_type    = "NoPublicAccess"
  versioning     = "Enabled"
  freeform_tags  = var.freeform_tags
}
