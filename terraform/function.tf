resource "oci_functions_application" "this" {
  compartment_id             = var.compartment_id
  display_name               = local.application_name
  subnet_ids                 = var.subnet_ids
  network_security_group_ids = var.network_security_group_ids
  shape                      = var.application_shape
  freeform_tags              = var.freeform_tags
}

resource "oci_functions_function" "this" {
  application_id = oci_functions_application.this.id
  display_name   = local.function_name
  image          = var.image
  image_digest   = var.image_digest
  memory_in_mbs  = tostring(var.memory_in_mbs)

  timeout_in_seconds = var.timeout_in_seconds
  # Long jobs continue, and run their parallel shards, by invoking the function
  # itself with fn-invoke-type: detached; the sweep resumes stalled ones the same way.
  detached_mode_timeout_in_seconds = var.detached_mode_timeout_in_seconds

  # REENCRYPT_* keys only (see locals.tf); keys left out fall back to the product's defaults.
  config        = local.function_config
  freeform_tags = var.freeform_tags

  lifecycle {
    precondition {
      condition     = local.function_config_size <= 4096
      error_message = "The function configuration (keys + values) is over the 4 KB OCI Functions limit; shorten the rules or allowed_buckets."
    }
  }
}
