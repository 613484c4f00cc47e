import { randomBytes } from "node:crypto";
import { requests } from "oci-objectstorage";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  BOTH_KEYS_MESSAGE,
  sseCKeyDetails,
  startEmulator,
  type Emulator,
  type Key,
} from "../../src/local/emulator/index.js";
import { bodyText, emulatorSdkClients, ociFailure, type EmulatorSdkClients } from "../helpers/emulator-sdk-clients.js";

const ns = "testns";
let em: Emulator;
let os: EmulatorSdkClients["objectStorage"];
let k1: Key;
let k2: Key;
let kOff: Key;

const newKey = (): string => randomBytes(32).toString("base64");
const last = () => em.requests[em.requests.length - 1];
const version = (bucket: string, name: string, versionId?: string) => {
  const v = em.state.findVersion(bucket, name, versionId);
  if (!v) throw new Error(`no version of ${bucket}/${name}`);
  return v;
};

beforeAll(async () => {
  em = await startEmulator();
  const vault = em.state.createVault({ compartmentId: em.state.defaultCompartmentId });
  k1 = em.state.createKey({ vaultId: vault.id });
  k2 = em.state.createKey({ vaultId: vault.id });
  kOff = em.state.createKey({ vaultId: vault.id, lifecycleState: "DISABLED" });
  em.state.createBucket({ name: "plain" });
  em.state.createBucket({ name: "kms", kmsKeyId: k1.id, versioning: "Enabled", objectEventsEnabled: true });
  os = (await emulatorSdkClients(em)).objectStorage;
});
afterAll(() => em.close());

describe("namespace and buckets", () => {
  it("answers GetNamespace, GetBucket and paged ListBuckets", async () => {
    expect((await os.getNamespace({})).value).toBe(ns);

    const got = await os.getBucket({ namespaceName: ns, bucketName: "kms", fields: [requests.GetBucketRequest.Fields.ApproximateCount] });
    expect(got.bucket).toMatchObject({
      name: "kms",
      namespace: ns,
      kmsKeyId: k1.id,
      versioning: "Enabled",
      objectEventsEnabled: true,
      id: em.state.bucket("kms")?.id,
      approximateCount: 0,
      compartmentId: em.state.defaultCompartmentId,
    });
    expect(got.eTag).toBe(em.state.bucket("kms")?.etag);
    expect((await os.getBucket({ namespaceName: ns, bucketName: "plain" })).bucket.kmsKeyId).toBeNull();

    const names: string[] = [];
    let page: string | undefined;
    let calls = 0;
    do {
      const r = await os.listBuckets({ namespaceName: ns, compartmentId: em.state.defaultCompartmentId, limit: 1, ...(page ? { page } : {}) });
      names.push(...r.items.map((b) => b.name));
      page = r.opcNextPage;
      calls++;
    } while (page);
    expect(names).toEqual(["kms", "plain"]);
    expect(calls).toBe(2);

    expect(await ociFailure(os.getBucket({ namespaceName: ns, bucketName: "nope" }))).toMatchObject({
      statusCode: 404,
      serviceCode: "BucketNotFound",
    });
  });
});

describe("object names and version ids", () => {
  const names = [
    "dir/sub/file.txt",
    "with space.txt",
    "unicodé-ü-日本.txt",
    "plus+amp&eq=hash#pct%q?.txt",
    "emoji-😀.txt",
    "quote'!*()~.txt",
  ];

  it("round-trips hostile names through Put, Head, Get, List and ReencryptObject", async () => {
    for (const name of names) {
      const put = await os.putObject({ namespaceName: ns, bucketName: "plain", objectName: name, putObjectBody: `body of ${name}` });
      expect(put.versionId).toBe(version("plain", name).versionId);
      const head = await os.headObject({ namespaceName: ns, bucketName: "plain", objectName: name });
      expect(head.versionId).toBe(put.versionId);
      expect(head.eTag).toBe(put.eTag);
      const get = await os.getObject({ namespaceName: ns, bucketName: "plain", objectName: name });
      expect(await bodyText(get.value)).toBe(`body of ${name}`);
      await os.reencryptObject({ namespaceName: ns, bucketName: "plain", objectName: name, reencryptObjectDetails: {} });
      expect(version("plain", name).reencryptCount).toBe(1);
    }
    expect(em.requests.some((r) => r.path === "/n/testns/b/plain/actions/reencrypt/dir%2Fsub%2Ffile.txt")).toBe(true);
    const listed = await os.listObjects({ namespaceName: ns, bucketName: "plain", fields: "name,size" });
    expect(listed.listObjects.objects.map((o) => o.name).sort()).toEqual([...names].sort());
  });

  it("finds a version id with + / = only when the caller encodes it (the SDK does not encode query values)", async () => {
    const first = em.state.putObject("kms", "doc.txt", { content: "v1" });
    em.state.putObject("kms", "doc.txt", { content: "v2" });
    expect(first.versionId).toMatch(/^v.*\+.*=$|^v.*\/.*=$/);
    expect(first.versionId).toContain("+");
    expect(first.versionId).toContain("/");

    const head = await os.headObject({ namespaceName: ns, bucketName: "kms", objectName: "doc.txt", versionId: encodeURIComponent(first.versionId) });
    expect(head.versionId).toBe(first.versionId);
    expect(last()?.query).toContain("%2B");

    const raw = await ociFailure(os.headObject({ namespaceName: ns, bucketName: "kms", objectName: "doc.txt", versionId: first.versionId }));
    expect(raw.statusCode).toBe(404);

    const rawReencrypt = await ociFailure(
      os.reencryptObject({ namespaceName: ns, bucketName: "kms", objectName: "doc.txt", versionId: first.versionId, reencryptObjectDetails: {} }),
    );
    expect(rawReencrypt).toMatchObject({ statusCode: 404, serviceCode: "ObjectNotFound" });

    await os.reencryptObject({
      namespaceName: ns,
      bucketName: "kms",
      objectName: "doc.txt",
      versionId: encodeURIComponent(first.versionId),
      reencryptObjectDetails: {},
    });
    const [newest, oldest] = em.state.versionsOf("kms", "doc.txt");
    expect(oldest?.reencryptCount).toBe(1);
    expect(newest?.reencryptCount).toBe(0);
  });

  it("breaks a prefix with + unless it is encoded", async () => {
    em.state.putObject("plain", "a+b/1.txt");
    const raw = await os.listObjects({ namespaceName: ns, bucketName: "plain", prefix: "a+b/" });
    expect(raw.listObjects.objects).toEqual([]);
    const encoded = await os.listObjects({ namespaceName: ns, bucketName: "plain", prefix: encodeURIComponent("a+b/") });
    expect(encoded.listObjects.objects.map((o) => o.name)).toEqual(["a+b/1.txt"]);
  });
});

describe("ReencryptObject", () => {
  const reencrypt = (bucketName: string, objectName: string, details: object, versionId?: string) =>
    os.reencryptObject({ namespaceName: ns, bucketName, objectName, reencryptObjectDetails: details, ...(versionId ? { versionId: encodeURIComponent(versionId) } : {}) });

  it("moves an object to the bucket key's current version after a rotation", async () => {
    em.state.putObject("kms", "rot.txt");
    const before = k1.currentKeyVersion;
    expect(version("kms", "rot.txt").wrapping).toEqual({ kind: "kms", kmsKeyId: k1.id, keyVersionId: before });
    const rotated = em.state.rotateKey(k1.id);
    const res = await reencrypt("kms", "rot.txt", {});
    expect(res.opcRequestId).toBeTruthy();
    const v = version("kms", "rot.txt");
    expect(v.wrapping).toEqual({ kind: "kms", kmsKeyId: k1.id, keyVersionId: rotated.id });
    expect(v.history).toEqual([{ kind: "kms", kmsKeyId: k1.id, keyVersionId: before }]);
    expect(last()).toMatchObject({ operation: "ReencryptObject", status: 200, signatureValid: true });
  });

  it("uses kmsKeyId's current version, or Oracle-managed keys for an empty request in a bucket without a key", async () => {
    em.state.putObject("kms", "to-k2.txt");
    await reencrypt("kms", "to-k2.txt", { kmsKeyId: k2.id });
    expect(version("kms", "to-k2.txt").wrapping).toEqual({ kind: "kms", kmsKeyId: k2.id, keyVersionId: k2.currentKeyVersion });

    em.state.putObject("plain", "oracle.txt", { kmsKeyId: k2.id });
    await reencrypt("plain", "oracle.txt", {});
    expect(version("plain", "oracle.txt").wrapping).toEqual({ kind: "oracle" });
  });

  it("rewraps with an SSE-C key whose sha matches, and redacts it in the request log", async () => {
    em.state.putObject("plain", "to-ssec.txt");
    const key = newKey();
    await reencrypt("plain", "to-ssec.txt", { sseCustomerKey: sseCKeyDetails(key) });
    expect(version("plain", "to-ssec.txt").wrapping).toEqual({ kind: "sse-c", keySha256: sseCKeyDetails(key).keySha256 });
    expect(JSON.stringify(last()?.body)).not.toContain(key);
    expect(last()?.body).toMatchObject({ sseCustomerKey: { key: "<redacted>" } });
  });

  it("rejects bad keys with 400 InvalidParameter and changes nothing", async () => {
    em.state.putObject("plain", "guarded.txt");
    const key = newKey();
    const cases: object[] = [
      { sseCustomerKey: { ...sseCKeyDetails(key), keySha256: sseCKeyDetails(newKey()).keySha256 } },
      { sseCustomerKey: sseCKeyDetails(randomBytes(31).toString("base64")) },
      { kmsKeyId: "ocid1.key.oc1.iad.doesnotexist" },
      { kmsKeyId: kOff.id },
    ];
    for (const details of cases) {
      expect(await ociFailure(reencrypt("plain", "guarded.txt", details))).toMatchObject({ statusCode: 400, serviceCode: "InvalidParameter" });
    }
    const both = await ociFailure(reencrypt("plain", "guarded.txt", { kmsKeyId: k2.id, sseCustomerKey: sseCKeyDetails(key) }));
    expect(both).toMatchObject({ statusCode: 400, serviceCode: "InvalidParameter", message: BOTH_KEYS_MESSAGE });
    expect(version("plain", "guarded.txt").reencryptCount).toBe(0);
  });

  it("needs the source key of an SSE-C object: 400 without, 403 wrong, then works", async () => {
    const key = newKey();
    em.state.putObject("plain", "secret.bin", { sseCustomerKey: key, content: "classified" });
    const without = await ociFailure(reencrypt("plain", "secret.bin", {}));
    expect(without).toMatchObject({ statusCode: 400, serviceCode: "InvalidParameter" });
    expect(without.message).toMatch(/customer-provided/);
    const wrong = await ociFailure(reencrypt("plain", "secret.bin", { sourceSseCustomerKey: sseCKeyDetails(newKey()) }));
    expect(wrong).toMatchObject({ statusCode: 403, serviceCode: "Forbidden" });

    // HEAD/GET of an SSE-C object: 400 without the headers, 403 with the wrong key.
    const headers = (k: string) => {
      const d = sseCKeyDetails(k);
      return { opcSseCustomerAlgorithm: d.algorithm, opcSseCustomerKey: d.key, opcSseCustomerKeySha256: d.keySha256 };
    };
    const obj = { namespaceName: ns, bucketName: "plain", objectName: "secret.bin" };
    expect((await ociFailure(os.headObject(obj))).statusCode).toBe(400);
    expect((await ociFailure(os.headObject({ ...obj, ...headers(newKey()) }))).statusCode).toBe(403);
    expect(await bodyText((await os.getObject({ ...obj, ...headers(key) })).value)).toBe("classified");

    await reencrypt("plain", "secret.bin", { sourceSseCustomerKey: sseCKeyDetails(key) });
    expect(version("plain", "secret.bin").wrapping).toEqual({ kind: "oracle" });
    expect((await os.headObject(obj)).contentLength).toBe(10);
  });

  it("answers 404 for a missing bucket, object, version or a delete marker", async () => {
    em.state.putObject("kms", "deleted.txt");
    em.state.deleteObject("kms", "deleted.txt");
    const marker = version("kms", "deleted.txt");
    expect(marker.isDeleteMarker).toBe(true);
    expect(await ociFailure(reencrypt("nope", "x", {}))).toMatchObject({ statusCode: 404, serviceCode: "BucketNotFound" });
    expect(await ociFailure(reencrypt("kms", "nothing-here", {}))).toMatchObject({ statusCode: 404, serviceCode: "ObjectNotFound" });
    expect(await ociFailure(reencrypt("kms", "deleted.txt", {}))).toMatchObject({ statusCode: 404, serviceCode: "ObjectNotFound" });
    expect(await ociFailure(reencrypt("kms", "deleted.txt", {}, marker.versionId))).toMatchObject({ statusCode: 404 });
    expect(await ociFailure(reencrypt("kms", "rot.txt", {}, "vNoSuch+Version/=="))).toMatchObject({ statusCode: 404, serviceCode: "ObjectNotFound" });
  });
});

describe("listing", () => {
  beforeAll(() => {
    em.state.createBucket({ name: "many", versioning: "Enabled" });
    for (let i = 0; i < 7; i++) em.state.putObject("many", `a${i}`);
    for (const n of ["a1", "a3"]) for (let i = 0; i < 2; i++) em.state.putObject("many", n);
    em.state.deleteObject("many", "a5");
  });

  it("pages ListObjects with limit and nextStartWith, hiding deleted objects", async () => {
    const pages: string[][] = [];
    let start: string | undefined;
    do {
      const r = await os.listObjects({ namespaceName: ns, bucketName: "many", limit: 3, ...(start ? { start: encodeURIComponent(start) } : {}) });
      pages.push(r.listObjects.objects.map((o) => o.name));
      start = r.listObjects.nextStartWith;
    } while (start);
    expect(pages).toEqual([["a0", "a1", "a2"], ["a3", "a4", "a6"]]);
  });

  it("pages ListObjectVersions with limit and opc-next-page, newest version first", async () => {
    const seen: { name: string; versionId: string; isDeleteMarker: boolean }[] = [];
    let page: string | undefined;
    let calls = 0;
    do {
      const r = await os.listObjectVersions({ namespaceName: ns, bucketName: "many", limit: 4, fields: "name,size", ...(page ? { page } : {}) });
      seen.push(...r.objectVersionCollection.items.map(({ name, versionId, isDeleteMarker }) => ({ name, versionId, isDeleteMarker })));
      page = r.opcNextPage;
      calls++;
    } while (page);
    const truth = em.state.objectVersions("many").map(({ name, versionId, isDeleteMarker }) => ({ name, versionId, isDeleteMarker }));
    expect(seen).toEqual(truth);
    expect(seen).toHaveLength(12);
    expect(calls).toBe(3);
    expect(seen.filter((v) => v.isDeleteMarker).map((v) => v.name)).toEqual(["a5"]);
  });

  it("collapses names under a delimiter into prefixes", async () => {
    em.state.createBucket({ name: "tree" });
    for (const n of ["d/x", "d/y", "d/z/w", "e"]) em.state.putObject("tree", n);
    const r = await os.listObjects({ namespaceName: ns, bucketName: "tree", delimiter: "/" });
    expect(r.listObjects.prefixes).toEqual(["d/"]);
    expect(r.listObjects.objects.map((o) => o.name)).toEqual(["e"]);
    const inside = await os.listObjects({ namespaceName: ns, bucketName: "tree", delimiter: "/", prefix: "d/" });
    expect(inside.listObjects.prefixes).toEqual(["d/z/"]);
    expect(inside.listObjects.objects.map((o) => o.name)).toEqual(["d/x", "d/y"]);
  });
});

describe("PutObject", () => {
  it("answers 412 IfNoneMatchFailed when the object exists and if-none-match is *", async () => {
    const req = { namespaceName: ns, bucketName: "plain", objectName: "once.txt", putObjectBody: "1", ifNoneMatch: "*" };
    const first = await os.putObject(req);
    expect(first.versionId).toBeTruthy();
    expect(await ociFailure(os.putObject({ ...req, putObjectBody: "2" }))).toMatchObject({ statusCode: 412, serviceCode: "IfNoneMatchFailed" });
    expect(em.state.versionsOf("plain", "once.txt")).toHaveLength(1);
    expect(version("plain", "once.txt").versionId).toBe(first.versionId);
  });

  it("wraps with opc-sse-kms-key-id, the bucket key, or SSE-C headers, and versions per bucket setting", async () => {
    await os.putObject({ namespaceName: ns, bucketName: "plain", objectName: "k2.txt", putObjectBody: "x", opcSseKmsKeyId: k2.id });
    expect(version("plain", "k2.txt").wrapping).toEqual({ kind: "kms", kmsKeyId: k2.id, keyVersionId: k2.currentKeyVersion });

    const d = sseCKeyDetails(newKey());
    await os.putObject({
      namespaceName: ns,
      bucketName: "plain",
      objectName: "c.txt",
      putObjectBody: "x",
      opcSseCustomerAlgorithm: d.algorithm,
      opcSseCustomerKey: d.key,
      opcSseCustomerKeySha256: d.keySha256,
    });
    expect(version("plain", "c.txt").wrapping).toEqual({ kind: "sse-c", keySha256: d.keySha256 });

    for (let i = 0; i < 2; i++) {
      await os.putObject({ namespaceName: ns, bucketName: "kms", objectName: "twice.txt", putObjectBody: `${i}` });
      await os.putObject({ namespaceName: ns, bucketName: "plain", objectName: "twice.txt", putObjectBody: `${i}` });
    }
    expect(em.state.versionsOf("kms", "twice.txt")).toHaveLength(2);
    expect(em.state.versionsOf("plain", "twice.txt")).toHaveLength(1);
    expect(version("kms", "twice.txt").wrapping).toEqual({ kind: "kms", kmsKeyId: k1.id, keyVersionId: k1.currentKeyVersion });
  });
});
