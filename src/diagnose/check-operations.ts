import type { DiagnoseContext } from "./diagnose-context.js";
import { failureOf, isDenied, said } from "./checklist.js";

const CALL_MS = 5_000;

/**
 * Contract §13: the topic exists and is active (GetTopic), and can be published to (no dry run:
 * UNCONFIRMED, unless the request asks for a test message); the metrics namespace and compartment
 * (the namespace itself was validated when the configuration was read).
 */
export async function checkOperations({ rt, dl, list }: DiagnoseContext, o: { sendTestMessage: boolean }): Promise<void> {
  const topicId = rt.config.notifyTopicId;
  const ons = rt.notifications;
  if (!topicId) {
    list.skipped("notify-topic", "REENCRYPT_NOTIFY_TOPIC is not set: no message when a job ends, fails or stalls (set notify_topic in the Terraform module, or let it create one)");
  } else if (!ons) {
    list.problem("notify-topic", `REENCRYPT_NOTIFY_TOPIC is set but the Notifications endpoint is unknown (no region)`, "set REENCRYPT_NOTIFICATIONS_ENDPOINT");
  } else if (Date.now() + CALL_MS > dl.hardStopAt) {
    list.skipped("notify-topic", "no time left to read the topic");
  } else {
    try {
      const t = await ons.client.getTopic(topicId, { timeoutMs: CALL_MS });
      if (!t) {
        list.problem(
          "notify-topic",
          `topic ${topicId} (REENCRYPT_NOTIFY_TOPIC) does not exist, or this function may not read it (GetTopic: 404)`,
          "correct REENCRYPT_NOTIFY_TOPIC, or grant the function use ons-topics on it (the Terraform module does, narrowed with target.ons-topic.id)",
        );
      } else if (t.lifecycleState !== "ACTIVE") {
        list.problem("notify-topic", `topic ${t.name} (${topicId}) is ${t.lifecycleState}: messages cannot be published to it`, "use an ACTIVE topic in REENCRYPT_NOTIFY_TOPIC");
      } else {
        list.ok("notify-topic", `topic ${t.name} (${topicId}) exists and is ACTIVE`);
        if (o.sendTestMessage) {
          try {
            const id = await ons.client.publish(topicId, { title: "oci-reencrypt: diagnose test message", body: JSON.stringify({ event: "diagnose-test", functionId: rt.functionId ?? null, at: new Date().toISOString() }) }, { timeoutMs: CALL_MS });
            list.ok("notify-topic.publish", `a test message was published to ${t.name} (messageId ${id}): its subscribers should have it`);
          } catch (error) {
            const f = failureOf(error);
            list.problem("notify-topic.publish", `publishing to ${t.name} failed (PublishMessage: ${said(f)})`, "grant the function use ons-topics on the topic (Terraform module: target.ons-topic.id)");
          }
        } else {
          list.couldNotConfirm(
            "notify-topic.publish",
            `could not confirm that this function may publish to ${t.name}: PublishMessage has no dry run (send {"diagnose": true, "sendTestMessage": true} to publish a test message)`,
            "the Terraform module grants use ons-topics narrowed to this topic (target.ons-topic.id); a refused publish logs 'job message failed' with its status",
          );
        }
      }
    } catch (error) {
      const f = failureOf(error);
      if (isDenied(f)) list.problem("notify-topic", `topic ${topicId}: GetTopic answered ${said(f)}`, "grant the function use ons-topics on the topic");
      else list.warning("notify-topic", `could not read topic ${topicId}: GetTopic answered ${said(f)}`, "run diagnose again");
    }
  }

  const m = rt.config.metrics;
  if (!m) {
    list.skipped("metrics", "REENCRYPT_METRICS_NAMESPACE is empty: no metrics are posted, so no alarm can fire on failed versions or stalled jobs");
  } else if (!rt.metrics) {
    list.problem("metrics", `metrics namespace ${m.namespace} is valid, but no metrics can be posted: no compartment or no endpoint`, "set REENCRYPT_METRICS_COMPARTMENT_ID (or run with a resource principal) and, outside a region, REENCRYPT_MONITORING_ENDPOINT");
  } else {
    list.ok("metrics", `metrics go to namespace ${m.namespace} (valid: letters, digits, underscores; not oci_ or oracle_) in compartment ${rt.metrics.compartmentId}`);
    list.couldNotConfirm(
      "metrics.post",
      `could not confirm that this function may post metrics to ${m.namespace}: PostMetricData has no dry run`,
      "the Terraform module grants use metrics narrowed to this namespace (target.metrics.namespace); a refused post logs 'metrics post failed' with its status",
    );
  }
}
