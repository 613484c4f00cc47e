import { generateKeyPairSync, verify } from "node:crypto";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as common from "oci-common";
import { describe, expect, it } from "vitest";
import { clickBool, toCliDict } from "../../src/cli/bucket-command.js";
import { CliError } from "../../src/cli/cli-error.js";
import { configFromEnvAlone, delegatedProvider, profileValues } from "../../src/cli/cli-credentials.js";
import { createProgram } from "../../src/cli/cli-program.js";
import { loadCliRc, parseIni, rcDefault } from "../../src/cli/cli-rc.js";
import { commandSkeleton } from "../../src/cli/json-skeleton.js";
import { jsonInputFields, underscore } from "../../src/cli/read-json-arg.js";
import { failedCallText, sortedJson } from "../../src/cli/service-error.js";
import { NodeHttpClient } from "../../src/oci/http/node-http-client.js";

// The pieces of the `oci` compatibility (issue 19) that need no emulator: oci's key conversion,
// oci_cli_rc's format and lookup, skeletons, error text, and what an instance_obo_user request and
// every CLI request carry.

const dir = mkdtempSync(join(tmpdir(), "cli-compat-"));

const usage = (f: () => unknown): string => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    return (error as CliError).message;
  }
  throw new Error("no error");
};

describe("--from-json keys as oci maps them", () => {
  const names = new Map([
    ["namespace_name", "namespaceName"],
    ["ns", "namespaceName"],
    ["bucket_name", "bucketName"],
    ["bn", "bucketName"],
  ]);

  it("underscores camelCase, kebab-case and snake_case alike (oci's string_utils.underscore)", () => {
    for (const k of ["bucketName", "bucket-name", "bucket_name", "BucketName"]) expect(underscore(k)).toBe("bucket_name");
    expect(underscore("isReencryptBucketKeyOnly")).toBe("is_reencrypt_bucket_key_only");
    expect(underscore("kmsKeyID")).toBe("kms_key_id");
  });

  it("later key wins, null is absent, unknown keys refused", () => {
    expect([...jsonInputFields({ namespaceName: "a", ns: "b", bn: "x" }, names)]).toEqual([
      ["namespaceName", "b"],
      ["bucketName", "x"],
    ]);
    expect([...jsonInputFields({ ns: "b", "namespace-name": "a" }, names)]).toEqual([["namespaceName", "a"]]);
    expect([...jsonInputFields({ ns: "b", namespace_name: null }, names)]).toEqual([]);
    expect(usage(() => jsonInputFields({ bucketNames: "x" }, names))).toMatch(/^--from-json bucketNames: unknown field/);
  });
});

describe("oci_cli_rc", () => {
  it("reads sections as configparser does: case-folded keys, comments, continuation lines, [DEFAULT] under every profile", () => {
    const s = parseIni("[DEFAULT]\nRegion = r1\n# comment\n; other\n[OPS]\nwait-for-state = ACCEPTED\n  COMPLETED\nquery: data.id\n");
    expect(s.get("DEFAULT")?.get("region")).toBe("r1");
    expect(s.get("OPS")?.get("wait-for-state")).toBe("ACCEPTED\nCOMPLETED");
    expect(s.get("OPS")?.get("query")).toBe("data.id");
    const file = join(dir, "rc");
    writeFileSync(file, "[OCI_CLI_SETTINGS]\ndefault_profile = OPS\n[OCI_CLI_CANNED_QUERIES]\nids = data[*].id\n[DEFAULT]\nnamespace = dflt\n[OPS]\nos.object.reencrypt.bn = b1\nos.bn = b2\nkey = $HOME/k\n");
    const rc = loadCliRc(file, { HOME: "/h" });
    expect(rc.defaultProfile).toBe("OPS");
    expect(rc.cannedQueries.get("ids")).toBe("data[*].id");
    const ops = rc.defaultsFor("OPS");
    // Most specific command path first, each name in order; $VAR expanded.
    expect(rcDefault(ops, ["os", "object", "reencrypt"], ["bucket-name", "bn"])).toBe("b1");
    expect(rcDefault(ops, ["os", "bucket", "reencrypt"], ["bucket-name", "bn"])).toBe("b2");
    expect(rcDefault(ops, ["os", "object", "reencrypt"], ["namespace"])).toBe("dflt");
    expect(rcDefault(ops, [], ["key"], { HOME: "/h" })).toBe("/h/k");
    expect(rc.defaultsFor("NOPE").size).toBe(0);
    // No file anywhere: no defaults.
    expect(loadCliRc(join(dir, "none"), { HOME: dir }).path).toBeUndefined();
  });
});

describe("credentials from the OCI_CLI_* variables", () => {
  it("a whole configuration needs user, tenancy, fingerprint, a region and a key; the variables replace the profile's keys", () => {
    const all = { OCI_CLI_USER: "u", OCI_CLI_TENANCY: "t", OCI_CLI_FINGERPRINT: "f", OCI_CLI_KEY_FILE: "k" };
    expect(configFromEnvAlone(all, undefined)).toBe(false);
    expect(configFromEnvAlone(all, "eu-frankfurt-1")).toBe(true);
    expect(configFromEnvAlone({ ...all, OCI_CLI_REGION: "r" }, undefined)).toBe(true);
    expect(configFromEnvAlone({ ...all, OCI_CLI_KEY_FILE: undefined, OCI_CLI_REGION: "r" }, undefined)).toBe(false);
    const file = join(dir, "config");
    writeFileSync(file, "[DEFAULT]\nregion=r0\ntenancy=t0\n[P]\nuser=u1\nfingerprint=f1\n");
    const v = profileValues(file, "P", { OCI_CLI_FINGERPRINT: "f2" });
    expect([v.get("user"), v.get("fingerprint"), v.get("tenancy"), v.get("region")]).toEqual(["u1", "f2", "t0", "r0"]);
    expect(v.origin("fingerprint")).toBe("OCI_CLI_FINGERPRINT");
    expect(v.origin("user")).toBe(`profile [P] of config file ${file}`);
    expect(usage(() => profileValues(file, "Q", {}))).toMatch(/has no profile \[Q\]/);
  });
});

describe("what every request carries", () => {
  it("instance_obo_user: signs as the instance principal with opc-obo-token signed; every request has the CLI's opc-client-request-id", async () => {
    const { privateKey, publicKey } = generateKeyPairSync("rsa", { modulusLength: 2048 });
    const inner = {
      getKeyId: async () => "ST$instance.token.sig",
      getPrivateKey: () => privateKey.export({ type: "pkcs8", format: "pem" }).toString(),
      getPassphrase: () => null,
    } as unknown as common.AuthenticationDetailsProvider;
    const p = delegatedProvider(inner, "delegation-token-123", "ocid1.tenancy.oc1..t", undefined);
    const client = new NodeHttpClient(p, { headers: [["opc-client-request-id", "ABC123"]] });
    const h = new Headers({ "x-date": "Tue, 01 Dec 2026 10:00:00 GMT" });
    const prepared = await client.prepare({ method: "GET", uri: "https://objectstorage.us-ashburn-1.oraclecloud.com/n", headers: h } as common.HttpRequest);
    const headers = new Map<string, string>();
    for (let i = 0; i < prepared.headers.length; i += 2) headers.set(prepared.headers[i] as string, prepared.headers[i + 1] as string);
    expect(headers.get("opc-obo-token")).toBe("delegation-token-123");
    expect(headers.get("opc-client-request-id")).toBe("ABC123");
    const auth = headers.get("authorization") as string;
    expect(auth).toContain('keyId="ST$instance.token.sig"');
    expect(auth).toContain('headers="x-date (request-target) host opc-obo-token"');
    const text = `x-date: Tue, 01 Dec 2026 10:00:00 GMT\n(request-target): get /n\nhost: objectstorage.us-ashburn-1.oraclecloud.com\nopc-obo-token: delegation-token-123`;
    const signature = /signature="([^"]+)"/.exec(auth)?.[1] as string;
    expect(verify("sha256", Buffer.from(text), publicKey, Buffer.from(signature, "base64"))).toBe(true);
    // A request that names its own id keeps it.
    const own = await client.prepare({ method: "GET", uri: "https://x.example/n", headers: new Headers({ "opc-client-request-id": "mine" }) } as common.HttpRequest);
    expect(own.headers.filter((_, i) => i % 2 === 1 && own.headers[i - 1] === "opc-client-request-id")).toEqual(["mine"]);
  });
});

describe("oci's output forms", () => {
  it("the skeleton: every long option camelCased, example values by type, sorted; help, --from-json and hidden options left out", () => {
    const program = createProgram("0.0.0");
    const bucket = program.commands.find((c) => c.name() === "bucket")?.commands.find((c) => c.name() === "reencrypt");
    expect(Object.keys(commandSkeleton(bucket as never))).toEqual(["bucketName", "isReencryptBucketKeyOnly", "maxWaitSeconds", "namespace", "namespaceName", "waitForState", "waitIntervalSeconds"]);
  });

  it("ServiceError and RequestException: sorted keys, four-space indentation", () => {
    expect(sortedJson({ b: 1, a: { d: 1, c: [{ f: 1, e: 2 }] } }, 4)).toBe('{\n    "a": {\n        "c": [\n            {\n                "e": 2,\n                "f": 1\n            }\n        ],\n        "d": 1\n    },\n    "b": 1\n}');
    const at = new Date("2026-01-01T00:00:00Z");
    const service = failedCallText({ status: 404, code: "BucketNotFound", message: "m", opcRequestId: "r", operation: "reencrypt_bucket", requestEndpoint: "POST https://os/n/x/b/y/actions/reencrypt", hint: "Check the name." }, at);
    expect(service.split("\n")[0]).toBe("ServiceError:");
    expect(JSON.parse(service.slice("ServiceError:\n".length))).toMatchObject({ status: 404, troubleshooting_tips: expect.stringMatching(/^Check the name\. See \[https:\/\/docs\.oracle\.com/) });
    const request = failedCallText({ status: 0, code: "ECONNRESET", message: "socket hang up", operation: "reencrypt_object", requestEndpoint: "POST https://os/n", hint: "h" }, at);
    expect(request.split("\n")[0]).toBe("RequestException:");
    expect(JSON.parse(request.slice("RequestException:\n".length))).toMatchObject({ target_service: "CLI", request_endpoint: "POST https://os/n", message: expect.stringContaining("ECONNRESET") });
  });

  it("click's booleans, and SDK models as oci's to_dict writes them", () => {
    expect(["1", "TRUE", "yes", "On", "t", "y"].map(clickBool)).toEqual([true, true, true, true, true, true]);
    expect(["0", "false", "No", "off", "f", "n"].map(clickBool)).toEqual([false, false, false, false, false, false]);
    expect(() => clickBool("maybe")).toThrow(/not a valid boolean/);
    expect(toCliDict({ percentComplete: 10, timeAccepted: new Date("2026-01-01T00:00:00Z"), resources: [{ entityType: "bucket", metadata: { bucketName: "b" } }] })).toEqual({
      "percent-complete": 10,
      "time-accepted": "2026-01-01T00:00:00.000Z",
      // A free-form map's keys are data: as they are.
      resources: [{ "entity-type": "bucket", metadata: { bucketName: "b" } }],
    });
  });
});
