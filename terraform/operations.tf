# -----------------------------------------------------------------------------
# Operations (contract §13): the Notifications topic the function publishes to
# (job ends, stalled jobs, key-lifecycle hazards), an optional e-mail
# subscription, and Monitoring alarms on the function's custom metrics, aimed
# at the same topic. The function's rights on both are in iam.tf
# (operations_statements); its configuration keys in locals.tf.
# -----------------------------------------------------------------------------
locals {
  create_notify_topic = var.notify_topic_id == null && var.create_notify_topic
  has_notify_topic    = var.notify_topic_id != null || var.create_notify_topic
  notify_topic_id     = var.notify_topic_id != null ? var.notify_topic_id : local.create_notify_topic ? one(oci_ons_notification_topic.ops[*].id) : null
  # An existing topic's compartment is given; a created one lives with the function.
  notify_topic_compartment_id = var.notify_topic_id != null ? coalesce(var.notify_topic_compartment_id, var.compartment_id) : var.compartment_id
  notify_topic_name           = "${var.name_prefix}-ops"

  metrics_enabled        = var.metrics_namespace != ""
  metrics_compartment_id = coalesce(var.metrics_compartment_id, var.compartment_id)
  alarms_enabled         = var.create_alarms && local.metrics_enabled && local.has_notify_topic

  # MQL over the product's metric names (src/ops/metrics.ts; docs/operations.md).
  # test/unit/terraform.test.ts fails when they drift apart.
  alarm_queries = {
    failed_versions = "VersionsFailed[5m].sum() > 0"
    stalled_jobs    = "JobsStalled[15m].max() > 0"
  }
}

resource "oci_ons_notification_topic" "ops" {
  count          = local.create_notify_topic ? 1 : 0
  compartment_id = var.compartment_id
  name           = local.notify_topic_name
  description    = "oci-reencrypt (${local.function_name}): job ends, stalled jobs, key-lifecycle hazards, and its alarms."
  freeform_tags  = var.freeform_tags
}

resource "oci_ons_subscription" "email" {
  count          = var.notify_email != null && local.has_notify_topic ? 1 : 0
  compartment_id = local.notify_topic_compartment_id
  topic_id       = local.notify_topic_id
  protocol       = "EMAIL"
  endpoint       = var.notify_email
  freeform_tags  = var.freeform_tags
}

resource "oci_monitoring_alarm" "failed_versions" {
  count                        = local.alarms_enabled ? 1 : 0
  compartment_id               = var.compartment_id
  display_name                 = "${var.name_prefix}-failed-versions"
  is_enabled                   = true
  metric_compartment_id        = local.metrics_compartment_id
  namespace                    = var.metrics_namespace
  query                        = local.alarm_queries.failed_versions
  severity                     = "CRITICAL"
  pending_duration             = "PT1M"
  repeat_notification_duration = "PT4H"
  message_format               = "ONS_OPTIMIZED"
  body                         = "Object versions failed to re-encrypt (oci-reencrypt, ${local.function_name}). Each job's message on this topic lists its first failures with hints; its report lists them all. See docs/operations.md."
  destinations                 = [local.notify_topic_id]
  freeform_tags                = var.freeform_tags
}

resource "oci_monitoring_alarm" "stalled_jobs" {
  count                        = local.alarms_enabled ? 1 : 0
  compartment_id               = var.compartment_id
  display_name                 = "${var.name_prefix}-stalled-jobs"
  is_enabled                   = true
  metric_compartment_id        = local.metrics_compartment_id
  namespace                    = var.metrics_namespace
  query                        = local.alarm_queries.stalled_jobs
  severity                     = "WARNING"
  pending_duration             = "PT1M"
  repeat_notification_duration = "PT4H"
  message_format               = "ONS_OPTIMIZED"
  body                         = "The sweep found stalled oci-reencrypt jobs (${local.function_name}): a runner died or could not start its continuation. The sweep's message on this topic names them. See docs/operations.md."
  destinations                 = [local.notify_topic_id]
  freeform_tags                = var.freeform_tags
}
