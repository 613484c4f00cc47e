terraform {
  # 1.9 or newer: variable validations below refer to other variables
  # (for example create_api_gateway checks that an authentication method is set).
  required_version = ">= 1.9.0"

  required_providers {
    oci = {
      source = "oracle/oci"
      # 8.22 introduced oci_events_rule `condition_details` and `actions { action {} }`,
      # which this module uses; checked against the v8.28.0 schema.
      version = ">= 8.22.0, < 9.0.0"
    }
  }
}
