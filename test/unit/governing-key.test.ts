import { describe, expect, it } from "vitest";
import type { KeyRule } from "../../src/contract/rules.js";
import { governorOf, keyOfGovernor, planScope, prefixEnd, wantedBy, type BucketKeyInfo } from "../../src/keys/governing-key.js";
import type { JobKey, NameRange } from "../../src/model/job.js";
import { compareNames } from "../../src/oci/name-order.js";

const K1 = "ocid1.key.oc1.iad.k1";
const K2 = "ocid1.key.oc1.iad.k2";
const K3 = "ocid1.key.oc1.iad.k3";
const rule = (bucket: string, prefix: string, kmsKeyId: string): KeyRule => ({ bucket, prefix, kmsKeyId });
const invoices: BucketKeyInfo = { namespace: "ns", name: "invoices", kmsKeyId: K1 };
const oracle: BucketKeyInfo = { namespace: "ns", name: "invoices", kmsKeyId: undefined };

describe("which key governs a version", () => {
  const cases: { name: string; rules: KeyRule[]; bucket: BucketKeyInfo; object: string; key: string | undefined; by: string }[] = [
    { name: "no rule: the bucket's key", rules: [], bucket: invoices, object: "a.pdf", key: K1, by: "bucket" },
    { name: "no rule, Oracle-managed bucket", rules: [], bucket: oracle, object: "a.pdf", key: undefined, by: "bucket" },
    { name: "a matching rule wins over the bucket", rules: [rule("invoices", "pii/", K2)], bucket: invoices, object: "pii/x", key: K2, by: "rule 0" },
    { name: "a rule's prefix does not match", rules: [rule("invoices", "pii/", K2)], bucket: invoices, object: "pub/x", key: K1, by: "bucket" },
    { name: "a rule for another bucket", rules: [rule("logs-*", "", K2)], bucket: invoices, object: "x", key: K1, by: "bucket" },
    { name: "a rule with the empty prefix takes the whole bucket", rules: [rule("inv*", "", K2)], bucket: invoices, object: "any/thing", key: K2, by: "rule 0" },
    { name: "first match wins, even when a later prefix is longer", rules: [rule("invoices", "a/", K2), rule("invoices", "a/b/", K3)], bucket: invoices, object: "a/b/c", key: K2, by: "rule 0" },
    { name: "a later rule applies where the earlier does not", rules: [rule("invoices", "a/b/", K3), rule("invoices", "a/", K2)], bucket: invoices, object: "a/c", key: K2, by: "rule 1" },
    { name: "namespace/bucket globs", rules: [rule("other/invoices", "", K2), rule("ns/inv*", "", K3)], bucket: invoices, object: "x", key: K3, by: "rule 1" },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const g = governorOf(c.rules, c.bucket, c.object);
      expect(keyOfGovernor(g)).toBe(c.key);
      expect(g.kind === "rule" ? `rule ${g.index}` : "bucket").toBe(c.by);
    });
  }
});

describe("prefixEnd", () => {
  it("is the least name above every name under the prefix, in code point order", () => {
    expect(prefixEnd("")).toBeUndefined();
    expect(prefixEnd("pii/")).toBe("pii0");
    expect(prefixEnd("a\u{10ffff}")).toBe("b");
    expect(prefixEnd("\u{10ffff}")).toBeUndefined();
    expect(prefixEnd("a\ud7ff")).toBe("a\ue000");
    const p = "x\u{1f600}";
    const end = prefixEnd(p) as string;
    for (const name of [p, `${p}a`, `${p}\u{10ffff}\u{10ffff}`, `${p}\uffff`]) {
      expect(compareNames(name, p)).toBeGreaterThanOrEqual(0);
      expect(compareNames(name, end)).toBeLessThan(0);
    }
    for (const name of ["x\u{1f601}", "y", "x\u{1f600}".slice(0, 1) + "\u{1f601}"]) expect(compareNames(name, end)).toBeGreaterThanOrEqual(0);
  });
});

/** Every name of a small world, and the names a plan's ranges would list. */
const world = ["a", "a/1", "a/b/1", "a/b/2", "a/c", "b", "pii/1", "pii/2", "pii0", "pub/1", "z"];
const listed = (prefix: string, ranges: NameRange[]): string[] =>
  world.filter((n) => n.startsWith(prefix) && ranges.some((r) => (r.start === undefined || compareNames(n, r.start) >= 0) && (r.end === undefined || compareNames(n, r.end) < 0)));

describe("planScope: what a bulk unit lists and what it leaves alone", () => {
  const cases: { name: string; rules: KeyRule[]; bucket: BucketKeyInfo; prefix: string; key: JobKey; lists: string[]; leftAlone: string[] }[] = [
    {
      name: "the invoices example: a K1 pass over the bucket leaves pii/ (K2) alone",
      rules: [rule("invoices", "pii/", K2)],
      bucket: invoices,
      prefix: "",
      key: { type: "bucket" },
      lists: ["a", "a/1", "a/b/1", "a/b/2", "a/c", "b", "pii0", "pub/1", "z"],
      leftAlone: ["pii/ rule 0 K2"],
    },
    {
      name: "a K2 pass over the bucket lists only pii/",
      rules: [rule("invoices", "pii/", K2)],
      bucket: invoices,
      prefix: "",
      key: { type: "kms", kmsKeyId: K2 },
      lists: ["pii/1", "pii/2"],
      leftAlone: [" bucket K1"],
    },
    {
      name: "a rule giving the whole bucket to K2: a K1 pass lists nothing",
      rules: [rule("invoices", "", K2)],
      bucket: invoices,
      prefix: "",
      key: { type: "bucket" },
      lists: [],
      leftAlone: [" rule 0 K2"],
    },
    {
      name: "overlapping rules: the first claims the later one's scope",
      rules: [rule("invoices", "a/", K2), rule("invoices", "a/b/", K1)],
      bucket: invoices,
      prefix: "",
      key: { type: "bucket" },
      lists: ["a", "b", "pii/1", "pii/2", "pii0", "pub/1", "z"],
      leftAlone: ["a/ rule 0 K2"],
    },
    {
      name: "a later rule's scope carved out of an earlier K1 rule is not the later's",
      rules: [rule("invoices", "a/b/", K2), rule("invoices", "a/", K3)],
      bucket: invoices,
      prefix: "a/",
      key: { type: "kms", kmsKeyId: K3 },
      lists: ["a/1", "a/c"],
      leftAlone: ["a/b/ rule 0 K2"],
    },
    {
      name: "a prefix inside a rule's scope is wholly that rule's",
      rules: [rule("invoices", "pii/", K2)],
      bucket: invoices,
      prefix: "pii/2",
      key: { type: "bucket" },
      lists: [],
      leftAlone: ["pii/2 rule 0 K2"],
    },
    {
      name: "rules naming the bucket's own key are served by the bucket key",
      rules: [rule("invoices", "a/", K1), rule("invoices", "pii/", K2)],
      bucket: invoices,
      prefix: "",
      key: { type: "bucket" },
      lists: ["a", "a/1", "a/b/1", "a/b/2", "a/c", "b", "pii0", "pub/1", "z"],
      leftAlone: ["pii/ rule 1 K2"],
    },
    {
      name: "an SSE-C pass leaves every rule scope alone",
      rules: [rule("invoices", "a/", K1)],
      bucket: invoices,
      prefix: "",
      key: { type: "sse-c", secretId: "ocid1.vaultsecret.oc1.iad.s" },
      lists: ["a", "b", "pii/1", "pii/2", "pii0", "pub/1", "z"],
      leftAlone: ["a/ rule 0 K1"],
    },
    {
      name: "an Oracle-managed bucket: a bucket-key pass skips every rule",
      rules: [rule("invoices", "pub/", K2)],
      bucket: oracle,
      prefix: "",
      key: { type: "bucket" },
      lists: ["a", "a/1", "a/b/1", "a/b/2", "a/c", "b", "pii/1", "pii/2", "pii0", "z"],
      leftAlone: ["pub/ rule 0 K2"],
    },
    {
      name: "rules for other buckets change nothing",
      rules: [rule("logs", "", K2)],
      bucket: invoices,
      prefix: "",
      key: { type: "bucket" },
      lists: world,
      leftAlone: [],
    },
  ];
  for (const c of cases) {
    it(c.name, () => {
      const plan = planScope(c.rules, c.bucket, c.prefix, wantedBy(c.key, c.bucket.kmsKeyId));
      expect(listed(c.prefix, plan.ranges)).toEqual(c.lists);
      expect(plan.leftAlone.map((l) => `${l.prefix} ${"rule" in l.governedBy ? `rule ${l.governedBy.rule} ${l.governedBy.kmsKeyId === K1 ? "K1" : l.governedBy.kmsKeyId === K2 ? "K2" : "K3"}` : `bucket ${l.governedBy.bucketKey === K1 ? "K1" : l.governedBy.bucketKey}`}`)).toEqual(c.leftAlone);
      // The ranges agree with governorOf name by name: ranges are an optimisation, never a different answer.
      const wanted = wantedBy(c.key, c.bucket.kmsKeyId);
      expect(world.filter((n) => n.startsWith(c.prefix) && wanted(governorOf(c.rules, c.bucket, n)))).toEqual(c.lists);
      expect(plan.whole).toBe(c.leftAlone.length === 0);
    });
  }
});
