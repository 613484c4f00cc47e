output "function_id" {
  description = "OCID of the function."
  value       = module.reencrypt.function_id
}

output "function_invoke_endpoint" {
  description = "Invoke endpoint of the function."
  value       = module.reencrypt.function_invoke_endpoint
}

output "event_rule_ids" {
  description = "OCIDs of the event rules."
  value       = module.reencrypt.event_rule_ids
}

output "policy_names" {
  description = "Names of the IAM policies."
  value       = module.reencrypt.policy_names
}

output "state_bucket_name" {
  description = "The state bucket."
  value       = module.reencrypt.state_bucket_name
}
