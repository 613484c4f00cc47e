import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Seed } from "../../src/local/emulator/index.js";
import { cliWorld, runCli, type CliWorld } from "./cli-helpers.js";
import { expectAllSigned } from "./helpers.js";

// `oci-reencrypt bucket reencrypt` as `oci os bucket reencrypt` (issue 19): ReencryptBucket's work
// request started and, with --wait-for-state, waited for; checked against the emulator's ground
// truth (which key version wraps each object version) and its request log.

const seed: Seed = {
  namespace: "bktns",
  vaults: [{ name: "v", keys: [{ name: "k1" }] }],
  buckets: [
    { name: "vaulted", kmsKey: "k1", versioning: "Enabled", objects: [{ prefix: "d/", count: 30, versions: 2 }] },
    { name: "again", kmsKey: "k1", objects: [{ prefix: "e/", count: 10 }] },
    { name: "oracle-keyed", objects: [{ name: "x" }] },
  ],
};

let w: CliWorld;
let env: Record<string, string | undefined>;
let k1: string;

beforeAll(async () => {
  w = await cliWorld({ seed });
  env = { HOME: w.dir, OCI_CLI_CONFIG_FILE: w.key.configFile, OCI_CLI_ENDPOINT: w.em.url };
  k1 = w.em.seedIds.keys["k1"] as string;
});
afterAll(async () => {
  expectAllSigned(w.em);
  await w.close();
});

const cli = (...args: string[]) => runCli(args, { env });
const since = (n: number) => w.em.requests.slice(n);
/** Versions of a bucket not yet wrapped by the key's current version. */
const stale = (bucket: string, current: string) => w.em.state.objectVersions(bucket).filter((v) => !v.isDeleteMarker && !(v.wrapping.kind === "kms" && v.wrapping.keyVersionId === current)).length;

describe("oci-reencrypt bucket reencrypt", () => {
  it("without waiting: prints {opc-work-request-id} as oci does, and the work request re-wraps every version", async () => {
    const current = w.em.state.rotateKey(k1).id;
    expect(stale("vaulted", current)).toBe(60);
    const n = w.em.requests.length;
    const r = await cli("bucket", "reencrypt", "-bn", "vaulted");
    expect(r.code, r.stderr).toBe(0);
    const out = JSON.parse(r.stdout) as Record<string, string>;
    expect(Object.keys(out)).toEqual(["opc-work-request-id"]);
    expect(since(n).map((q) => [q.operation, q.query])).toEqual([
      ["GetNamespace", ""],
      ["ReencryptBucket", ""],
    ]);
    await w.em.state.workRequests.idle();
    expect(w.em.state.workRequests.get(out["opc-work-request-id"] as string).status).toBe("COMPLETED");
    expect(stale("vaulted", current)).toBe(0);
  });

  it("--wait-for-state: polls GetWorkRequest until the state, then prints {data: the work request}; --query data.status --raw-output", async () => {
    const current = w.em.state.rotateKey(k1).id;
    w.em.state.workRequests.setRate(20);
    try {
      const n = w.em.requests.length;
      const r = await cli("bucket", "reencrypt", "--namespace", "bktns", "--bucket-name", "again", "--wait-for-state", "completed", "--wait-for-state", "FAILED", "--wait-interval-seconds", "1");
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain("Action completed. Waiting until the work request has entered state: ('COMPLETED', 'FAILED')");
      const data = (JSON.parse(r.stdout) as { data: Record<string, unknown> }).data;
      expect(data).toMatchObject({ status: "COMPLETED", "operation-type": "REENCRYPT", "percent-complete": 100 });
      expect(stale("again", current)).toBe(0);
      const ops = since(n).map((q) => q.operation);
      expect(ops.slice(0, 1)).toEqual(["ReencryptBucket"]);
      expect(ops.slice(1).every((o) => o === "GetWorkRequest")).toBe(true);
      // One opc-client-request-id for the invocation, on the start and every poll.
      expect(new Set(since(n).map((q) => q.clientRequestId)).size).toBe(1);

      const q = await cli("bucket", "reencrypt", "-ns", "bktns", "-bn", "again", "--wait-for-state", "COMPLETED", "--wait-interval-seconds", "1", "--query", "data.status", "--raw-output");
      expect(q.code, q.stderr).toBe(0);
      expect(q.stdout).toBe("COMPLETED\n");
    } finally {
      w.em.state.workRequests.setRate(Infinity);
    }
  });

  it("--is-reencrypt-bucket-key-only true reaches the service (query parameter), and from --from-json in any key form", async () => {
    let n = w.em.requests.length;
    const r = await cli("bucket", "reencrypt", "-ns", "bktns", "-bn", "again", "--is-reencrypt-bucket-key-only", "true");
    expect(r.code, r.stderr).toBe(0);
    expect(since(n).map((x) => [x.operation, x.query])).toEqual([["ReencryptBucket", "isReencryptBucketKeyOnly=true"]]);
    const id = (JSON.parse(r.stdout) as Record<string, string>)["opc-work-request-id"] as string;
    expect(w.em.state.workRequests.get(id).bucketKeyOnly).toBe(true);

    n = w.em.requests.length;
    const j = await cli("bucket", "reencrypt", "--from-json", JSON.stringify({ "namespace-name": "bktns", bn: "again", is_reencrypt_bucket_key_only: false, waitForState: null }));
    expect(j.code, j.stderr).toBe(0);
    expect(since(n).map((x) => [x.operation, x.query])).toEqual([["ReencryptBucket", "isReencryptBucketKeyOnly=false"]]);
  });

  it("the skeleton is oci's parameters; bad values are refused before any call", async () => {
    const g = await cli("bucket", "reencrypt", "--generate-full-command-json-input");
    expect(g.code, g.stderr).toBe(0);
    expect(JSON.parse(g.stdout)).toEqual({
      bucketName: "string",
      isReencryptBucketKeyOnly: true,
      maxWaitSeconds: 0,
      namespace: "string",
      namespaceName: "string",
      waitForState: ["ACCEPTED|IN_PROGRESS|FAILED|COMPLETED|CANCELING|CANCELED"],
      waitIntervalSeconds: 0,
    });
    const n = w.em.requests.length;
    for (const [args, message] of [
      [["-ns", "bktns"], /missing required option --bucket-name/],
      [["-bn", "again", "--wait-for-state", "DONE"], /"DONE" is not one of ACCEPTED/],
      [["-bn", "again", "--is-reencrypt-bucket-key-only", "maybe"], /"maybe" is not a valid boolean/],
      [["-bn", "again", "--max-wait-seconds", "soon"], /"soon" is not a valid integer/],
      [["--from-json", '{"bucketName":"again","waitForStates":["COMPLETED"]}'], /--from-json waitForStates: unknown field/],
    ] as const) {
      const r = await cli("bucket", "reencrypt", ...args);
      expect(r.code, `${args.join(" ")}: ${r.stderr}`).toBe(2);
      expect(r.stderr).toMatch(message);
    }
    expect(w.em.requests.length).toBe(n);
  });

  it("a wait that runs out: oci's message, the last known state, exit 2; a state that can no longer come: exit 1", async () => {
    w.em.state.workRequests.setRate(0);
    try {
      const r = await cli("bucket", "reencrypt", "-ns", "bktns", "-bn", "vaulted", "--wait-for-state", "COMPLETED", "--max-wait-seconds", "2", "--wait-interval-seconds", "1");
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("Failed to wait until the work request entered the specified state. Outputting last known resource state");
      expect(Object.keys(JSON.parse(r.stdout) as object)).toEqual(["opc-work-request-id"]);
    } finally {
      w.em.state.workRequests.setRate(Infinity);
    }
    await w.em.state.workRequests.idle();
    const ended = await cli("bucket", "reencrypt", "-ns", "bktns", "-bn", "again", "--wait-for-state", "CANCELED", "--wait-interval-seconds", "1");
    expect(ended.code).toBe(1);
    expect((JSON.parse(ended.stdout) as { data: { status: string } }).data.status).toBe("COMPLETED");
    expect(ended.stderr).toMatch(/the work request ended COMPLETED, which is none of CANCELED/);
  });

  it("a bucket without a Vault key: ServiceError as oci prints it, with what to do, exit 1", async () => {
    const r = await cli("bucket", "reencrypt", "-ns", "bktns", "-bn", "oracle-keyed");
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^ServiceError:\n/);
    const err = JSON.parse(r.stderr.replace(/^ServiceError:\n/, "")) as Record<string, unknown>;
    expect(err).toMatchObject({ status: 400, operation_name: "reencrypt_bucket", request_endpoint: `POST ${w.em.url}/n/bktns/b/oracle-keyed/actions/reencrypt` });
    expect(err["troubleshooting_tips"]).toMatch(/oci-reencrypt run -bn <bucket>/);
  });
});

describe("SSE-KMS Bucket Key in rotate --dry-run", () => {
  it("names the key's buckets with the Bucket Key off, and says existing objects need one re-encryption", async () => {
    const world = await cliWorld({
      seed: {
        namespace: "bkns",
        compartments: ["apps"],
        vaults: [{ name: "v", compartment: "apps", keys: [{ name: "kA" }, { name: "kB" }] }],
        buckets: [
          { name: "off", compartment: "apps", kmsKey: "kA", objects: [{ name: "a" }] },
          { name: "on", compartment: "apps", kmsKey: "kA", objects: [{ name: "b" }] },
          { name: "other-key", compartment: "apps", kmsKey: "kB", objects: [{ name: "c" }] },
        ],
      },
    });
    try {
      (world.em.state.bucket("on") as { isBucketKeyEnabled?: boolean }).isBucketKeyEnabled = true;
      const keyId = world.em.seedIds.keys["kA"] as string;
      const r = await runCli(["rotate", "--key-id", keyId, "--compartment-id", world.em.seedIds.compartments["apps"] as string, "--dry-run", "--progress", "none"], { env: world.env, cwd: world.dir });
      expect(r.code, r.stderr).toBe(0);
      const answer = JSON.parse(r.stdout) as { status: string; bucketKey: { off: string[]; unknown: string[] } };
      expect(answer.status).toBe("dry-run");
      expect(answer.bucketKey).toMatchObject({ off: ["bkns/off"], unknown: [] });
      expect(r.stderr).toMatch(/SSE-KMS Bucket Key is off on bkns\/off: enable it with `oci os bucket update --name <bucket> --is-bucket-key-enabled true`.*existing objects need one re-encryption/);
      expect(world.em.requests.filter((q) => q.operation === "ReencryptObject")).toHaveLength(0);
    } finally {
      await world.close();
    }
  });
});
