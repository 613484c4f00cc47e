import { OciCallError, toOciFailure, type OciFailure } from "../oci/oci-failure.js";

/**
 * ok: checked and fine. problem: broken; `fix` says what to do. warning: works, but worth knowing.
 * unconfirmed: only a real call in a real tenancy settles it (IAM evaluation); never a problem.
 * skipped: not applicable to this configuration, or no time left.
 */
export type CheckStatus = "ok" | "problem" | "warning" | "unconfirmed" | "skipped";

export interface CheckResult {
  /** Stable id, e.g. "state-bucket.write" or "key.ocid1.key…". */
  check: string;
  status: CheckStatus;
  /** What was found. */
  detail: string;
  /** What to do about it (problems and warnings). */
  fix?: string;
}

export interface DiagnoseReport {
  ok: boolean;
  functionId: string | null;
  compartments: string[];
  rules: { id: string; displayName: string; compartmentId: string; isEnabled: boolean; actionEnabled: boolean; eventTypes: string[]; buckets: string[]; resourceIds: string[] }[];
  buckets: { bucket: string; objectEventsEnabled: boolean | null; error?: string }[];
  problems: string[];
  /** Not broken, but worth knowing. */
  warnings: string[];
  /** Every check made, in order: the deployment checklist. */
  checklist: CheckResult[];
  /** What diagnose could not confirm from inside the function (IAM evaluation, services it cannot read). */
  unconfirmed: string[];
}

export const failureOf = (error: unknown): OciFailure => (error instanceof OciCallError ? error.failure : toOciFailure(error));
export const said = (f: OciFailure): string => `${f.status || "no response"} ${f.code}`;
export const isDenied = (f: OciFailure): boolean => f.status === 401 || f.status === 403 || f.status === 404;

/** Collects the checklist and the problem and warning lines derived from it. */
export class Checklist {
  readonly items: CheckResult[] = [];
  readonly problems: string[] = [];
  readonly warnings: string[] = [];
  readonly unconfirmed: string[] = [];

  ok(check: string, detail: string): void {
    this.items.push({ check, status: "ok", detail });
  }

  /** `line` is the problem as `problems` shows it, when it must read differently from detail + fix. */
  problem(check: string, detail: string, fix: string, line?: string): void {
    this.items.push({ check, status: "problem", detail, fix });
    this.problems.push(line ?? `${detail}; fix: ${fix}`);
  }

  warning(check: string, detail: string, fix?: string, line?: string): void {
    this.items.push({ check, status: "warning", detail, ...(fix ? { fix } : {}) });
    this.warnings.push(line ?? (fix ? `${detail}; ${fix}` : detail));
  }

  couldNotConfirm(check: string, detail: string, fix?: string): void {
    this.items.push({ check, status: "unconfirmed", detail, ...(fix ? { fix } : {}) });
    this.unconfirmed.push(detail);
  }

  skipped(check: string, detail: string): void {
    this.items.push({ check, status: "skipped", detail });
  }
}

