resource "oci_logging_log_group" "this" {
  count = var.create_log_group ? 1 : 0

  compartment_id = var.compartment_id
  display_name   = "${var.name_prefix}-logs"
  description    = "Invocation logs of the ${local.function_name} function."
  freeform_tags  = var.freeform_tags
}

# What the function writes to stdout/stderr, per invocation (Functions service log,
# category "invoke", for the whole application).
resource "oci_logging_log" "invoke" {
  count = var.create_log_group ? 1 : 0

  display_name       = "${var.name_prefix}-invoke"
  log_group_id       = oci_logging_log_group.this[0].id
  log_type           = "SERVICE"
  is_enabled         = true
  retention_duration = var.log_retention_days
  freeform_tags      = var.freeform_tags

  configuration {
    compartment_id = var.compartment_id

    source {
      source_type = "OCISERVICE"
      service     = "functions"
      category    = "invoke"
      resource    = oci_functions_application.this.id
    }
  }
}
