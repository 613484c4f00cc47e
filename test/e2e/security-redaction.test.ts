// Issue 16 item 6: a service that echoes the SSE-C key it was sent, in the encodings the probe
// used (base64 split by spaces, colon-separated hex, 8-digit-grouped hex, double
// percent-encoding), in its message and its error code. None of it may reach a response, the job
// record, the summary, the report or the function's log; the failures still say what happened.

import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startEmulator, type Emulator, type Seed } from "../../src/local/emulator/index.js";
import { startLocalStack, type LocalStack } from "../../src/local/local-stack.js";
import { nonJsonLines } from "../helpers/fuzz-probes.js";
import { expectAllSigned, gateway } from "./helpers.js";

const seed: Seed = {
  namespace: "redns",
  secrets: [{ name: "target", randomSseCKey: true }],
  buckets: [{ name: "data", objects: [{ prefix: "o/", count: 40 }, { prefix: "echo/", count: 4 }] }, { name: "state" }],
};

const groups = (s: string, n: number): string[] => s.match(new RegExp(`.{1,${n}}`, "g")) as string[];

describe("security: redaction of echoed keys (issue 16 item 6)", () => {
  let em: Emulator;
  let stack: LocalStack;
  let forms: Array<[string, string]>;

  beforeAll(async () => {
    em = await startEmulator({ seed });
    const b64 = em.seedIds.sseCKeys["target"] as string;
    const hex = Buffer.from(b64, "base64").toString("hex");
    forms = [
      ["base64", b64],
      ["hex", hex],
      ["base64 split by spaces", groups(b64, 4).join(" ")],
      ["colon-separated hex", groups(hex, 2).join(":")],
      ["8-digit-grouped hex", groups(hex, 8).join(" ")],
      ["double percent-encoding", encodeURIComponent(encodeURIComponent(b64))],
    ];
    stack = await startLocalStack({
      emulator: em,
      maxContainers: 1,
      config: { REENCRYPT_STATE_BUCKET: "state", REENCRYPT_CHECKPOINT_SECONDS: "1", REENCRYPT_CONCURRENCY: "2", REENCRYPT_ALLOWED_KEYS: em.seedIds.secrets["target"] as string },
    });
  });

  afterAll(async () => {
    expectAllSigned(em);
    await stack.stop();
    await em.close();
  });

  it("keeps every encoding of the key out of responses, record, summary, report and logs, and still reports the failures", async () => {
    const echoing = forms.slice(2);
    let i = 0;
    // Each echo/ object fails with the key in one of the encodings, in the message and the code.
    em.faults.add({
      operation: "ReencryptObject",
      when: (r) => r.objectName?.startsWith("echo/") === true && r.objectName !== "echo/000001",
      status: 400,
      code: "InvalidParameter",
      get message() {
        const [label, form] = echoing[i++ % echoing.length] as [string, string];
        return `key (${label}) ${form} is not valid for this object`;
      },
    });
    em.faults.add({
      operation: "ReencryptObject",
      when: (r) => r.objectName === "echo/000001",
      status: 409,
      code: `Conflict${forms[5]?.[1] ?? ""}`,
      message: "conflict",
    });
    // Slow enough that the job has a record (checkpoint interval 1 s) and a summary.
    em.faults.add({ operation: "ReencryptObject", when: (r) => r.objectName?.startsWith("o/") === true, latencyMs: 60 });

    const r = await stack.invoke({ targets: [{ bucket: "data", prefix: "" }], key: { type: "sse-c", secretId: em.seedIds.secrets["target"] } }, { gateway });
    expect(r.httpStatus, r.body.slice(0, 500)).toBe(207);
    expect(r.data).toMatchObject({ status: "partial", counts: { matched: 44, reencrypted: 40, failed: 4 } });
    const failures = r.data.failures as Array<{ object: string; status: number; code: string; message: string }>;
    expect(failures.map((f) => f.object).sort()).toEqual(["echo/000000", "echo/000001", "echo/000002", "echo/000003"]);
    for (const f of failures) {
      expect(f.status).toBeGreaterThanOrEqual(400);
      expect(`${f.code} ${f.message}`).toContain("[redacted: the text held key material]");
    }
    // What is not key material stays: the conflict's message, the other failures' code.
    expect(failures.find((f) => f.object === "echo/000001")?.message).toBe("conflict");
    expect(failures.filter((f) => f.code === "InvalidParameter")).toHaveLength(3);

    const stored = em.state.objectVersions("state").map((v) => ({ name: v.name, text: em.state.findVersion("state", v.name, v.versionId)?.content.toString("utf8") ?? "" }));
    const names = stored.map((s) => s.name);
    expect(names).toContain(`jobs/${r.data.jobId}.json`);
    expect(names.some((n) => n.startsWith(`reports/${r.data.jobId}`) && n.endsWith(".summary.json"))).toBe(true);
    expect(names.some((n) => n.startsWith(`reports/${r.data.jobId}`) && n.endsWith(".jsonl"))).toBe(true);
    const record = JSON.parse(stored.find((s) => s.name === `jobs/${r.data.jobId}.json`)?.text ?? "{}") as { failures: Array<{ message: string }> };
    expect(record.failures).toHaveLength(4);

    const status = await stack.invoke({ job: r.data.jobId });
    const haystack = [r.body, status.body, ...stored.map((s) => s.text), stack.fn.stdout(), stack.fn.stderr()].join("\n");
    for (const [label, form] of forms) {
      expect(haystack.includes(form), `the key as ${label} leaked`).toBe(false);
      expect(haystack.toLowerCase().includes(form.toLowerCase()), `the key as ${label} (any case) leaked`).toBe(false);
    }
    expect(nonJsonLines(stack.fn.stdout() + stack.fn.stderr())).toEqual([]);
  });
});
