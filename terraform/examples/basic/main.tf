# Basic use of the oci-reencrypt module: the function, its least-privilege
# policies, a createobject rule for the buckets of the rules, a key rotation rule
# for their keys, a private state bucket and the invocation log.
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

  rules                  = var.rules
  kms_key_ids            = var.kms_key_ids
  target_compartment_ids = var.target_compartment_ids
  vault_compartment_ids  = var.vault_compartment_ids
  allowed_buckets        = var.allowed_buckets

  create_state_bucket = var.state_bucket_name != null
  state_bucket_name   = var.state_bucket_name

  log_level = var.log_level
}
