import type { Application, FunctionRecord, Rule, RuleAction, Secret } from "./model.js";
import { FunctionInvokers } from "./function-invokers.js";
import { randomAlnum, randomOcid } from "./random-ids.js";
import { VaultState } from "./vault-state.js";

export interface RuleActionInput {
  actionType: "FAAS";
  functionId: string;
  isEnabled: boolean;
  description?: string | undefined;
}

export interface RuleInput {
  compartmentId: string;
  displayName: string;
  isEnabled: boolean;
  condition: string;
  actions: RuleActionInput[];
  description?: string | undefined;
}

const now = (): string => new Date().toISOString();

/** Secrets, Functions and Events rules: the services around the re-encryption. EmulatorState builds on it. */
export class ServicesState extends VaultState {
  readonly secrets = new Map<string, Secret>();
  readonly applications = new Map<string, Application>();
  readonly functionRecords = new Map<string, FunctionRecord>();
  readonly rules = new Map<string, Rule>();
  /** Where function invocations are delivered. */
  readonly functions = new FunctionInvokers();

  // ---- Secrets ----

  /** Stores raw bytes (a string is taken as UTF-8); GetSecretBundle returns them base64-encoded. */
  createSecret(o: { compartmentId?: string | undefined; content: Buffer | string }): string {
    const id = randomOcid("vaultsecret");
    this.secrets.set(id, {
      id,
      compartmentId: o.compartmentId ?? this.defaultCompartmentId,
      content: typeof o.content === "string" ? Buffer.from(o.content, "utf8") : Buffer.from(o.content),
      versionNumber: 1,
      timeCreated: now(),
    });
    return id;
  }

  // ---- Functions ----

  createApplication(o: { compartmentId?: string | undefined; displayName?: string | undefined }): Application {
    const app: Application = {
      id: randomOcid("fnapp"),
      compartmentId: o.compartmentId ?? this.defaultCompartmentId,
      displayName: o.displayName ?? `app-${randomAlnum(6)}`,
      lifecycleState: "ACTIVE",
      timeCreated: now(),
    };
    this.applications.set(app.id, app);
    return app;
  }

  createFunction(o: {
    applicationId?: string | undefined;
    compartmentId: string;
    displayName: string;
    timeoutInSeconds?: number | undefined;
    detachedModeTimeoutInSeconds?: number | undefined;
    memoryInMBs?: number | undefined;
    config?: Record<string, string> | undefined;
  }): FunctionRecord {
    const applicationId = o.applicationId ?? this.createApplication({ compartmentId: o.compartmentId }).id;
    if (!this.applications.has(applicationId)) throw new Error(`createFunction: unknown application ${applicationId}`);
    const timeoutInSeconds = o.timeoutInSeconds ?? 30;
    const fn: FunctionRecord = {
      id: randomOcid("fnfunc"),
      applicationId,
      compartmentId: o.compartmentId,
      displayName: o.displayName,
      // FunctionsInvokeClient appends /20181201 itself, so the invoke endpoint is the bare server URL.
      invokeEndpoint: this.baseUrl,
      lifecycleState: "ACTIVE",
      memoryInMBs: o.memoryInMBs ?? 256,
      timeoutInSeconds,
      detachedModeTimeoutInSeconds: o.detachedModeTimeoutInSeconds ?? timeoutInSeconds,
      config: { ...o.config },
      image: `iad.ocir.io/${this.namespace}/${o.displayName}:0.0.1`,
      timeCreated: now(),
    };
    this.functionRecords.set(fn.id, fn);
    return fn;
  }

  // ---- Events ----

  createRule(o: RuleInput): Rule {
    const rule: Rule = {
      id: randomOcid("eventrule"),
      compartmentId: o.compartmentId,
      displayName: o.displayName,
      ...(o.description !== undefined ? { description: o.description } : {}),
      isEnabled: o.isEnabled,
      condition: o.condition,
      lifecycleState: "ACTIVE",
      actions: o.actions.map(toRuleAction),
      timeCreated: now(),
    };
    this.rules.set(rule.id, rule);
    return rule;
  }

  updateRule(
    id: string,
    patch: Partial<Pick<RuleInput, "displayName" | "isEnabled" | "condition" | "description" | "actions">>,
  ): Rule {
    const rule = this.rules.get(id);
    if (!rule) throw new Error(`updateRule: unknown rule ${id}`);
    if (patch.displayName !== undefined) rule.displayName = patch.displayName;
    if (patch.isEnabled !== undefined) rule.isEnabled = patch.isEnabled;
    if (patch.condition !== undefined) rule.condition = patch.condition;
    if (patch.description !== undefined) rule.description = patch.description;
    if (patch.actions !== undefined) rule.actions = patch.actions.map(toRuleAction);
    return rule;
  }
}

function toRuleAction(a: RuleActionInput): RuleAction {
  return {
    id: randomOcid("eventaction"),
    actionType: a.actionType,
    functionId: a.functionId,
    isEnabled: a.isEnabled,
    lifecycleState: "ACTIVE",
    ...(a.description !== undefined ? { description: a.description } : {}),
  };
}
