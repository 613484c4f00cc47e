import { describe, expect, it } from "vitest";
import { hintFor, stopHint, type HintAudience } from "../../src/engine/hints.js";
import type { OciFailure } from "../../src/oci/oci-failure.js";

const f = (status: number, code: string, message = ""): OciFailure => ({ status, code, message, opcRequestId: undefined });

// Hints name what their reader can act on: at the function, the dynamic group's policy and the
// request field; at the CLI, the user's policy and the flag.
describe("hints by reader", () => {
  const cases: { failure: OciFailure; function: RegExp; cli: RegExp; neverCli?: RegExp }[] = [
    { failure: f(404, "ObjectNotFound"), function: /this function may not read it.*the dynamic group.s policy/, cli: /you may not read it.*your user.s policy/, neverCli: /dynamic group|this function/ },
    { failure: f(403, "Forbidden"), function: /pass that key as sourceKey/, cli: /pass that key with --source-encryption-key-file/, neverCli: /sourceKey/ },
    { failure: f(429, "TooManyRequests"), function: /REENCRYPT_CONCURRENCY/, cli: /--concurrency or set --max-rps, then resume with --resume/, neverCli: /REENCRYPT_/ },
    { failure: f(503, "ServiceUnavailable"), function: /opc-request-id to Oracle support/, cli: /opc-client-request-id \(--request-id\)/ },
    { failure: f(401, "NotAuthenticated"), function: /dynamic group matches this function/, cli: /--profile.*oci session refresh/ },
    { failure: f(0, "ConnectionFailed"), function: /service or NAT gateway/, cli: /endpoint, proxy and network/ },
    { failure: f(0, "ClientError"), function: /function's logs/, cli: /run again with -d/ },
  ];
  for (const c of cases) {
    it(`${c.failure.status} ${c.failure.code}`, () => {
      const of = (audience: HintAudience) => hintFor(c.failure, { audience, sseCSourceGiven: false });
      expect(of("function")).toMatch(c.function);
      expect(of("cli")).toMatch(c.cli);
      if (c.neverCli) expect(of("cli")).not.toMatch(c.neverCli);
    });
  }

  it("names the tier, the retention rules and a rotation's SSE-C objects before the generic advice", () => {
    expect(hintFor(f(409, "NotRestored"), { sseCSourceGiven: false, tier: { storageTier: "Archive", archivalState: "Archived" } })).toMatch(/Archive tier \(Archived\): restore it first/);
    expect(hintFor(f(409, "RetentionRuleViolation"), { sseCSourceGiven: false, retentionRules: [{ displayName: "hold", duration: undefined, locked: true }] })).toMatch(/retention rules \("hold" \(indefinite, locked\)\)/);
    expect(hintFor(f(400, "InvalidParameter", "customer key"), { sseCSourceGiven: false, origin: "rotation" })).toMatch(/no key rotation can re-encrypt it/);
    expect(stopHint(f(403, "NotAuthorizedOrNotFound"), 200, { sseCSourceGiven: false, audience: "cli" })).toMatch(/^The last 200 calls .* your user's policy .* Then retry the job's failures\.$/);
  });
});
