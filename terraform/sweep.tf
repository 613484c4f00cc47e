# The sweep (contract §8): OCI Resource Scheduler invokes the function with the
# body {"sweep": true} on sweep_schedule (every 10 minutes by default). The
# function resumes every job whose lease expired with work remaining. Only with a
# state bucket: job records live there.
#
# A function is scheduled as a resource of the schedule with the START_RESOURCE
# action and a BODY parameter holding the JSON body (provider v8.28 accepts the
# body as a one-element list holding a JSON string). The schedule's resource
# principal needs the policy in iam.tf (service_statements) to invoke it.
resource "oci_resource_scheduler_schedule" "sweep" {
  count = local.sweep_enabled ? 1 : 0

  compartment_id     = var.compartment_id
  display_name       = "${var.name_prefix}-sweep"
  description        = "Resume stalled ${local.function_name} jobs: invoke it with {\"sweep\": true}."
  action             = "START_RESOURCE"
  recurrence_type    = local.sweep_recurrence_type
  recurrence_details = var.sweep_schedule
  freeform_tags      = var.freeform_tags

  resources {
    id = oci_functions_function.this.id

    parameters {
      parameter_type = "BODY"
      value          = [local.sweep_body]
    }
  }
}
