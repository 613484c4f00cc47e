output "application_id" {
  description = "OCID of the Functions application."
  value       = oci_functions_application.this.id
}

output "function_id" {
  description = "OCID of the function."
  value       = oci_functions_function.this.id
}

output "function_invoke_endpoint" {
  description = "Invoke endpoint of the function (for `oci fn function invoke` and InvokeFunction)."
  value       = oci_functions_function.this.invoke_endpoint
}

output "function_config" {
  description = "The configuration map given to the function (REENCRYPT_* keys actually set)."
  value       = local.function_config
}

output "api_gateway_url" {
  description = "URL of the POST /reencrypt route (scope api_scope_reencrypt), or null when create_api_gateway is false."
  value       = var.create_api_gateway ? "${oci_apigateway_deployment.this[0].endpoint}${local.api_route_path}" : null
}

output "api_gateway_ip_addresses" {
  description = "IP addresses of the API Gateway: private ones with api_gateway_endpoint_type PRIVATE (the target of a Bastion port-forwarding session from outside the VCN); empty when create_api_gateway is false."
  value       = var.create_api_gateway ? oci_apigateway_gateway.this[0].ip_addresses[*].ip_address : []
}

output "api_status_url" {
  description = "URL template of the GET /reencrypt/jobs/{jobId} route (scope api_scope_status; replace {jobId}), or null when create_api_gateway is false."
  value       = var.create_api_gateway ? "${oci_apigateway_deployment.this[0].endpoint}${local.api_status_path}" : null
}

output "dynamic_group_name" {
  description = "Name of the dynamic group matching the function."
  value       = oci_identity_dynamic_group.function.name
}

output "policy_names" {
  description = "Names of the IAM policies this module created."
  value       = concat([oci_identity_policy.function.name], [for p in oci_identity_policy.services : p.name])
}

output "event_rule_ids" {
  description = "OCIDs of the event rules, by kind and then by compartment OCID: object_created (createobject) and key_rotated (createkeyversion.end, autokeyrotate.end)."
  value = {
    object_created = { for c, r in oci_events_rule.object_created : c => r.id }
    key_rotated    = { for c, r in oci_events_rule.key_rotated : c => r.id }
  }
}

output "state_bucket_name" {
  description = "The state bucket (REENCRYPT_STATE_BUCKET), or null when none is configured."
  value       = var.create_state_bucket ? oci_objectstorage_bucket.state[0].name : local.state_bucket_value
}

output "log_group_id" {
  description = "OCID of the log group holding the invocation log, or null when create_log_group is false."
  value       = var.create_log_group ? oci_logging_log_group.this[0].id : null
}

output "invoke_log_id" {
  description = "OCID of the function invocation log, or null when create_log_group is false."
  value       = var.create_log_group ? oci_logging_log.invoke[0].id : null
}

output "sweep_schedule_id" {
  description = "OCID of the Resource Scheduler schedule invoking the function with {\"sweep\": true}, or null when the sweep is off (enable_sweep false or no state bucket)."
  value       = one(oci_resource_scheduler_schedule.sweep[*].id)
}

output "notify_topic_id" {
  description = "The Notifications topic the function publishes to (REENCRYPT_NOTIFY_TOPIC) and the alarms notify: created or given; null when none."
  value       = local.notify_topic_id
}

output "alarm_ids" {
  description = "OCIDs of the Monitoring alarms (failed_versions, stalled_jobs); empty when create_alarms is false, metrics are off or there is no topic."
  value       = { for k, a in { failed_versions = oci_monitoring_alarm.failed_versions, stalled_jobs = oci_monitoring_alarm.stalled_jobs } : k => one(a[*].id) if length(a) > 0 }
}
