import type { DiagnoseContext } from "./diagnose-context.js";

/** The function knows its own OCID, has compartments to look at, and a timeout long enough for jobs. */
export function checkBasics({ rt, dl, list, compartments, started }: DiagnoseContext): void {
  const fnId = rt.functionId;
  if (!fnId) {
    list.problem(
      "function-id",
      "FN_FN_ID is not a function OCID: cannot tell which rules target this function",
      "run diagnose in OCI Functions (fn invoke, oci fn function invoke); without its own OCID the function cannot continue itself, start shards or resume jobs",
      "FN_FN_ID is not a function OCID: cannot tell which rules target this function",
    );
  } else {
    list.ok("function-id", `this function is ${fnId}`);
    list.couldNotConfirm(
      "continuation",
      "could not confirm that this function may invoke itself (InvokeFunction, detached: continuations, shards, the sweep's resumptions): diagnose has no read-only way to ask; a stalled job whose shards could not start is reported here as evidence",
      "the Terraform module grants use fn-invocation and read fn-function on this function; a refused continuation logs 'a shard's invocation could not be started'",
    );
  }
  if (compartments.length === 0) {
    list.problem("compartments", "no compartment to inspect: set REENCRYPT_COMPARTMENT_IDS", "set target_compartment_ids in the Terraform module", "no compartment to inspect: set REENCRYPT_COMPARTMENT_IDS");
  }

  const budgetSeconds = Math.round((dl.deadline - started) / 1000);
  if (budgetSeconds < 120) {
    list.warning(
      "timeout",
      `this invocation had ${budgetSeconds} s before its deadline: the function's timeout looks like ${budgetSeconds} s (OCI's default is 30), so requests stop early and answer "incomplete" more often`,
      "set timeout_in_seconds = 300 (the Terraform module's default)",
    );
  } else {
    list.ok("timeout", `this invocation had ${budgetSeconds} s before its deadline`);
  }

}
