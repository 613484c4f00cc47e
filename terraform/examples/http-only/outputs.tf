output "api_gateway_url" {
  description = "POST here to re-encrypt (token with api_scope_reencrypt)."
  value       = module.reencrypt.api_gateway_url
}

output "api_gateway_ip_addresses" {
  description = "The gateway's private IP addresses: the target of a Bastion port-forwarding session (docs/deploy.md, section 8)."
  value       = module.reencrypt.api_gateway_ip_addresses
}

output "api_status_url" {
  description = "GET here, with {jobId} replaced, for a job's status (token with api_scope_status)."
  value       = module.reencrypt.api_status_url
}

output "function_id" {
  description = "OCID of the function."
  value       = module.reencrypt.function_id
}

output "policy_names" {
  description = "Names of the IAM policies."
  value       = module.reencrypt.policy_names
}

output "state_bucket_name" {
  description = "The state bucket."
  value       = module.reencrypt.state_bucket_name
}
