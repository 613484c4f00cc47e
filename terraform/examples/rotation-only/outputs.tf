output "function_id" {
  description = "OCID of the function."
  value       = module.reencrypt.function_id
}

output "event_rule_ids" {
  description = "OCIDs of the key rotation event rules, by vault compartment."
  value       = module.reencrypt.event_rule_ids.key_rotated
}

output "sweep_schedule_id" {
  description = "OCID of the schedule that resumes stalled jobs."
  value       = module.reencrypt.sweep_schedule_id
}

output "policy_names" {
  description = "Names of the IAM policies."
  value       = module.reencrypt.policy_names
}

output "state_bucket_name" {
  description = "The state bucket."
  value       = module.reencrypt.state_bucket_name
}
