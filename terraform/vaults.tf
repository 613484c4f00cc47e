# `read vaults` (GetVault: a key's management endpoint) is limited to the vaults that hold the
# keys in use. With vault_ids those are given; without, they are found here at plan time, with
# the deployer's credentials: the vaults of vault_compartment_ids, then the keys of each vault
# in each of those compartments, keeping the vaults that hold a key in use. A key not found is a
# plan error (iam.tf), never a wider grant.

data "oci_kms_vaults" "for_keys" {
  for_each       = local.derive_vault_ids ? toset(local.vault_compartment_ids) : toset([])
  compartment_id = each.value
}

locals {
  derive_vault_ids = length(var.vault_ids) == 0 && length(local.iam_key_ids) > 0
  # Active vaults by OCID: their management endpoint lists their keys.
  candidate_vaults = merge({}, [for c, d in data.oci_kms_vaults.for_keys : { for v in d.vaults : v.id => v.management_endpoint if v.state == "ACTIVE" }]...)
  key_listings = {
    for pair in setproduct(keys(local.candidate_vaults), local.vault_compartment_ids) :
    "${pair[0]} ${pair[1]}" => { management_endpoint = local.candidate_vaults[pair[0]], compartment_id = pair[1] }
  }
}

data "oci_kms_keys" "for_keys" {
  for_each            = local.key_listings
  compartment_id      = each.value.compartment_id
  management_endpoint = each.value.management_endpoint
}

locals {
  listed_keys       = flatten([for d in data.oci_kms_keys.for_keys : [for k in d.keys : { id = k.id, vault_id = k.vault_id }]])
  derived_vault_ids = !local.derive_vault_ids ? [] : distinct([for k in local.listed_keys : k.vault_id if contains(local.iam_key_ids, k.id)])
  keys_without_vault = !local.derive_vault_ids ? [] : [
    for k in local.iam_key_ids : k if !contains([for l in local.listed_keys : l.id], k)
  ]
}
