# Optional HTTP entrance (contract §7), never anonymous and never "any valid
# token": JWT authentication, or an authorizer function when
# authorizer_function_id is set (variables.tf refuses create_api_gateway with
# neither), and on each route an authorization policy requiring that route's
# scope:
#   POST <api_path_prefix>/reencrypt               requests and resumes   api_scope_reencrypt
#   GET  <api_path_prefix>/reencrypt/jobs/{jobId}  job status             api_scope_status
# No other method or path is routed (API Gateway answers those itself).
#
# Each route sets X-Reencrypt-Caller to the caller's subject (the JWT `sub` claim, or the `sub`
# an authorizer function returns in its context), overwriting any value the client sent: the
# function records it in the jobs a caller starts and answers status and resumes of those jobs
# to that caller only. The plan fails without allowed_buckets or without a compartment of the
# gateway's own (variables.tf, create_api_gateway).

resource "oci_apigateway_gateway" "this" {
  count = var.create_api_gateway ? 1 : 0

  compartment_id = local.api_gateway_compartment_id
  display_name   = local.api_gateway_name
  endpoint_type  = var.api_gateway_endpoint_type
  subnet_id      = var.api_gateway_subnet_id
  freeform_tags  = var.freeform_tags
}

resource "oci_apigateway_deployment" "this" {
  count = var.create_api_gateway ? 1 : 0

  compartment_id = local.api_gateway_compartment_id
  gateway_id     = oci_apigateway_gateway.this[0].id
  display_name   = local.api_deployment_name
  path_prefix    = var.api_path_prefix
  freeform_tags  = var.freeform_tags

  specification {
    request_policies {
      authentication {
        type                        = local.api_uses_authorizer ? "CUSTOM_AUTHENTICATION" : "JWT_AUTHENTICATION"
        is_anonymous_access_allowed = false
        token_header                = "Authorization"

        # CUSTOM_AUTHENTICATION: the authorizer function receives the token.
        function_id = local.api_uses_authorizer ? var.authorizer_function_id : null

        # JWT_AUTHENTICATION: "Authorization: Bearer <jwt>", checked against the
        # issuers, audiences and the issuer's remote JWKS.
        token_auth_scheme         = local.api_uses_authorizer ? null : "Bearer"
        issuers                   = local.api_uses_authorizer ? null : var.jwt_issuers
        audiences                 = local.api_uses_authorizer ? null : var.jwt_audiences
        max_clock_skew_in_seconds = local.api_uses_authorizer ? null : 60

        dynamic "public_keys" {
          for_each = local.api_uses_authorizer ? [] : [var.jwt_jwks_uri]
          content {
            type                        = "REMOTE_JWKS"
            uri                         = public_keys.value
            is_ssl_verify_disabled      = false
            max_cache_duration_in_hours = 1
          }
        }
      }
    }

    # POST /reencrypt: re-encrypt requests and resumes.
    routes {
      path    = local.api_route_path
      methods = ["POST"]

      backend {
        type        = "ORACLE_FUNCTIONS_BACKEND"
        function_id = oci_functions_function.this.id
      }

      request_policies {
        # Authenticated callers whose token holds api_scope_reencrypt (the JWT
        # `scope` claim, or the scopes the authorizer function returns).
        authorization {
          type          = "ANY_OF"
          allowed_scope = [var.api_scope_reencrypt]
        }

        # The caller's subject, for the function to bind jobs to (docs/security.md).
        header_transformations {
          set_headers {
            items {
              name      = local.api_caller_header
              values    = [local.api_caller_value]
              if_exists = "OVERWRITE"
            }
          }
        }
      }
    }

    # GET /reencrypt/jobs/{jobId}: a job's status (the function answers it like
    # {"job": "<jobId>"}).
    routes {
      path    = local.api_status_path
      methods = ["GET"]

      backend {
        type        = "ORACLE_FUNCTIONS_BACKEND"
        function_id = oci_functions_function.this.id
      }

      request_policies {
        # Authenticated callers whose token holds api_scope_status.
        authorization {
          type          = "ANY_OF"
          allowed_scope = [var.api_scope_status]
        }

        header_transformations {
          set_headers {
            items {
              name      = local.api_caller_header
              values    = [local.api_caller_value]
              if_exists = "OVERWRITE"
            }
          }
        }
      }
    }
  }

  # API Gateway calls the function only once the policy letting it do so exists.
  depends_on = [oci_identity_policy.services]
}
