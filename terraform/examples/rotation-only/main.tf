# oci-reencrypt, rotation only: rotating a Vault key re-encrypts every object
# version in the buckets that key protects. No HTTP entrance, no createobject
# rule. Jobs are durable (state bucket, sweep every 10 minutes).
#
#   cp terraform.tfvars.example terraform.tfvars   # then edit it
#   terraform init && terraform apply

terraform {
  required_version = ">= 1.9.0"

  required_providers {
    oci = {
      source  = "oracle/oci"
      version = ">= 8.22.0, < 9.0.0"
    }
  }
}

# Authentication comes from ~/.oci/config (profile DEFAULT) or the OCI_* environment.
provider "oci" {
  region = var.region
}

module "reencrypt" {
  source = "../.."

  tenancy_ocid   = var.tenancy_ocid
  region         = var.region
  compartment_id = var.compartment_id
  subnet_ids     = [var.subnet_id]
  image          = var.image
  image_digest   = var.image_digest

  # The bucket keys whose rotation re-encrypts; no rules, so no createobject rule.
  kms_key_ids            = var.kms_key_ids
  vault_ids              = var.vault_ids
  target_compartment_ids = var.target_compartment_ids
  vault_compartment_ids  = var.vault_compartment_ids

  # Rotation jobs find their buckets by scanning the target compartments, so the
  # module cannot derive bucket names: name them to narrow the object rights.
  iam_bucket_names = var.bucket_names
  allowed_buckets  = var.bucket_names

  # Requests cannot name any other target key than the bucket's own.
  allowed_keys = []

  create_state_bucket = true
  state_bucket_name   = var.state_bucket_name
  enable_sweep        = true

  rotation_method = var.rotation_method
  max_parallel    = var.max_parallel

  # Operations: the module creates a topic and two alarms; this subscribes someone to them.
  notify_email = var.notify_email

  log_level = var.log_level
}
