import { randomUUID } from "node:crypto";
import { ApiError } from "./api-error.js";
import type { ObjectVersion, RetentionRule } from "./model.js";
import { refuse, RETENTION_RULE_LOCKED } from "./refusals.js";

export interface RetentionRuleInput {
  displayName?: string | undefined;
  /** Absent: an indefinite rule (a legal hold). */
  duration?: { timeAmount: number; timeUnit: "DAYS" | "YEARS" } | undefined;
  timeRuleLocked?: string | undefined;
}

// OCI's limit per bucket (oci os retention-rule create).
const MAX_RULES = 100;
const DAY_MS = 86_400_000;

const invalidDetails = (message: string): ApiError => new ApiError(400, "InvalidRetentionRuleDetails", message);

/** When a time-bound rule stops protecting a version: its Last-Modified plus the duration. */
export function retainedUntil(rule: RetentionRule, version: Pick<ObjectVersion, "timeModified">): number {
  if (!rule.duration) return Infinity;
  const from = new Date(version.timeModified);
  if (rule.duration.timeUnit === "DAYS") return from.getTime() + rule.duration.timeAmount * DAY_MS;
  const until = new Date(from);
  until.setUTCFullYear(until.getUTCFullYear() + rule.duration.timeAmount);
  return until.getTime();
}

/**
 * Retention rules per bucket. A rule is active for a version while the version's Last-Modified
 * plus the rule's duration is in the future, or always for a rule without a duration. Details are
 * validated as OCI does (400 InvalidRetentionRuleDetails, messages from recorded OCI answers);
 * `validate: false` lets a test arrange a rule OCI would not accept now (a lock in the past).
 */
export class RetentionRules {
  private readonly byBucket = new Map<string, RetentionRule[]>();

  create(bucket: string, input: RetentionRuleInput, o: { validate?: boolean } = {}): RetentionRule {
    if (o.validate !== false) validateDetails(input);
    const rules = this.rulesOf(bucket);
    if (rules.length >= MAX_RULES) throw invalidDetails(`A bucket can have at most ${MAX_RULES} retention rules`);
    const at = new Date().toISOString();
    const rule: RetentionRule = {
      id: randomUUID(),
      displayName: input.displayName ?? defaultName(new Date()),
      ...(input.duration ? { duration: { ...input.duration } } : {}),
      etag: randomUUID(),
      ...(input.timeRuleLocked !== undefined ? { timeRuleLocked: new Date(input.timeRuleLocked).toISOString() } : {}),
      timeCreated: at,
      timeModified: at,
    };
    rules.push(rule);
    return rule;
  }

  /** Newest first, as OCI lists them. */
  list(bucket: string): RetentionRule[] {
    return [...this.rulesOf(bucket)].reverse();
  }

  get(bucket: string, id: string): RetentionRule | undefined {
    return this.rulesOf(bucket).find((r) => r.id === id);
  }

  /** UpdateRetentionRule: a locked rule only accepts a longer duration. */
  update(bucket: string, id: string, patch: RetentionRuleInput): RetentionRule {
    const rule = this.require(bucket, id);
    const next: RetentionRuleInput = {
      displayName: patch.displayName ?? rule.displayName,
      duration: patch.duration ?? rule.duration,
      timeRuleLocked: patch.timeRuleLocked ?? rule.timeRuleLocked,
    };
    if (isLocked(rule)) {
      const longer = patch.duration !== undefined && rule.duration !== undefined && durationMs(patch.duration) >= durationMs(rule.duration);
      if (patch.displayName !== undefined || patch.timeRuleLocked !== undefined || (patch.duration !== undefined && !longer)) {
        throw invalidDetails("The retention rule is locked: only an increase of its duration is allowed");
      }
    } else validateDetails({ duration: next.duration, timeRuleLocked: patch.timeRuleLocked });
    if (next.displayName !== undefined) rule.displayName = next.displayName;
    if (next.duration !== undefined) rule.duration = { ...next.duration };
    if (next.timeRuleLocked !== undefined) rule.timeRuleLocked = new Date(next.timeRuleLocked).toISOString();
    rule.etag = randomUUID();
    rule.timeModified = new Date().toISOString();
    return rule;
  }

  delete(bucket: string, id: string): void {
    const rule = this.require(bucket, id);
    if (isLocked(rule)) throw refuse(RETENTION_RULE_LOCKED, `The retention rule '${rule.displayName}' is locked and can only be removed by deleting the bucket`);
    const rules = this.rulesOf(bucket);
    rules.splice(rules.indexOf(rule), 1);
  }

  /** The first rule that protects this version now, if any. */
  activeFor(bucket: string, version: Pick<ObjectVersion, "timeModified">, now = Date.now()): RetentionRule | undefined {
    return this.rulesOf(bucket).find((r) => retainedUntil(r, version) > now);
  }

  /** Drops a bucket's rules (the bucket is gone). */
  forget(bucket: string): void {
    this.byBucket.delete(bucket);
  }

  snapshot(): Record<string, RetentionRule[]> {
    return Object.fromEntries([...this.byBucket].filter(([, rules]) => rules.length > 0));
  }

  private require(bucket: string, id: string): RetentionRule {
    const rule = this.get(bucket, id);
    if (!rule) throw new ApiError(404, "NotFound", `The retention rule '${id}' does not exist in bucket '${bucket}'`);
    return rule;
  }

  private rulesOf(bucket: string): RetentionRule[] {
    let rules = this.byBucket.get(bucket);
    if (!rules) {
      rules = [];
      this.byBucket.set(bucket, rules);
    }
    return rules;
  }
}

function isLocked(rule: RetentionRule, now = Date.now()): boolean {
  return rule.timeRuleLocked !== undefined && Date.parse(rule.timeRuleLocked) <= now;
}

function durationMs(d: NonNullable<RetentionRuleInput["duration"]>): number {
  return d.timeAmount * (d.timeUnit === "YEARS" ? 365 * DAY_MS : DAY_MS);
}

function validateDetails(input: RetentionRuleInput): void {
  const d = input.duration;
  if (d !== undefined) {
    if (!Number.isInteger(d.timeAmount) || d.timeAmount < 1) throw invalidDetails("duration.timeAmount must be a positive integer");
    if (d.timeUnit !== "DAYS" && d.timeUnit !== "YEARS") throw invalidDetails("duration.timeUnit must be DAYS or YEARS");
  }
  if (input.timeRuleLocked !== undefined) {
    if (d === undefined) throw invalidDetails("The retention rule cannot have timeRuleLocked unless a duration is present.");
    const at = Date.parse(input.timeRuleLocked);
    if (Number.isNaN(at)) throw invalidDetails("timeRuleLocked must be an RFC 3339 timestamp");
    if (at < Date.now() + 14 * DAY_MS) throw invalidDetails("timeRuleLocked must be atleast 14 days ahead of the current time.");
  }
}

/** The Console's default name, e.g. retention-rule-20200229-1002. */
function defaultName(at: Date): string {
  const iso = at.toISOString();
  return `retention-rule-${iso.slice(0, 10).replaceAll("-", "")}-${iso.slice(11, 16).replace(":", "")}`;
}
