// Globs are matched by an iterative matcher (issue 16 item 3). Its answers must be the old
// regex's (`*` → `.*`, `?` → `.`, everything else literal) for every glob the configuration
// accepts, and its cost must stay polynomial on the inputs that made the regex backtrack.
import { describe, expect, it } from "vitest";
import { conditionMatches } from "../../src/diagnose/event-condition.js";
import { matchesBucketGlob, matchesGlob, wildcardMatch } from "../../src/glob.js";
import { namespaceKey, sameNamespace } from "../../src/same-namespace.js";

/** The matcher this replaced, kept here as the oracle of its semantics. */
const oldRegex = (glob: string): RegExp => new RegExp(`^${glob.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*").replace(/\?/g, ".")}$`);

describe("glob matching", () => {
  it.each([
    ["", "", true],
    ["", "a", false],
    ["*", "", true],
    ["*", "anything", true],
    ["**", "x", true],
    ["?", "", false],
    ["?", "a", true],
    ["?", "ab", false],
    ["a?c", "abc", true],
    ["a?c", "ac", false],
    ["logs-*", "logs-2024", true],
    ["logs-*", "logs-", true],
    ["logs-*", "logs", false],
    ["*-prod", "eu-prod", true],
    ["*-prod", "eu-prod-2", false],
    ["*-*-prod", "a-b-prod", true],
    ["*-*-prod", "a-prod", false],
    ["a*b*c", "abc", true],
    ["a*b*c", "aXbYc", true],
    ["a*b*c", "acb", false],
    ["a*b", "ab-ab-ab", true],
    ["a*b", "ab-ab-ac", false],
    ["*a*a*a*a*b", "a".repeat(20), false],
    ["*a*a*a*a*b", `${"a".repeat(20)}b`, true],
    ["a.b", "a.b", true],
    ["a.b", "axb", false],
    ["a+b", "a+b", true],
    ["a+b", "aab", false],
    ["(x)", "(x)", true],
    ["data_1", "data_1", true],
    ["Data", "data", false],
    ["?*?", "ab", true],
    ["?*?", "a", false],
  ])("%j against %j → %s (as the old regex)", (glob, value, want) => {
    expect(matchesGlob(glob, value)).toBe(want);
    expect(oldRegex(glob).test(value)).toBe(want);
  });

  it("agrees with the old regex on 20,000 random globs and names over a small alphabet", () => {
    let seed = 16;
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return seed % n;
    };
    const pick = (alphabet: string, max: number): string => Array.from({ length: rnd(max + 1) }, () => alphabet[rnd(alphabet.length)]).join("");
    for (let i = 0; i < 20_000; i++) {
      const glob = pick("ab-.*?", 7);
      const value = pick("ab-.", 9);
      expect(matchesGlob(glob, value), `${glob} vs ${value}`).toBe(oldRegex(glob).test(value));
    }
  });

  it.each([
    ["logs-*", "ns", "logs-2024", true],
    ["logs-*", "ns", "logs", false],
    ["ns/logs-?", "ns", "logs-a", true],
    ["NS/logs-?", "ns", "logs-a", true],
    ["ns/logs-?", "NS", "logs-a", true],
    ["n?/logs-*", "NS", "logs-a", true],
    ["N*/logs-*", "acme", "logs-a", false],
    ["A*/logs-*", "acme", "logs-a", true],
    ["ns/LOGS-*", "ns", "logs-a", false],
    ["other/*", "ns", "logs-a", false],
    ["*/data", "ns", "data", true],
    ["*", "ns", "anything", true],
  ])("bucket glob %s against %s/%s → %s (the namespace half ignores case, the bucket half does not)", (g, ns, b, want) => expect(matchesBucketGlob(g, ns, b)).toBe(want));

  it("keeps `?` literal for OCI Events conditions, where `*` is the only wildcard", () => {
    expect(conditionMatches("a?c", "abc")).toBe(false);
    expect(conditionMatches("a?c", "a?c")).toBe(true);
    expect(conditionMatches("data-*", "data-x")).toBe(true);
    expect(conditionMatches("data-*", "logs")).toBe(false);
    expect(conditionMatches("exact", "exact")).toBe(true);
    expect(wildcardMatch("a?c", "abc", false)).toBe(false);
  });

  it("matches the issue's worst cases a thousand times each without backtracking", () => {
    // Deterministic: matched a thousand times each, the whole loop would take minutes with the old regex.
    const cases: Array<[string, string]> = [
      ["*-*-*-*-*-prod", `${"-".repeat(250)}000000`],
      ["*-*-*-*-prod", `${"-".repeat(250)}000000`],
      ["*a*a*a*a*b", "a".repeat(256)],
    ];
    for (const [g, v] of cases) {
      expect(matchesGlob(g, v)).toBe(false);
      for (let i = 0; i < 1000; i++) matchesGlob(g, v);
    }
  });
});

describe("namespaces", () => {
  it("compare without case; bucket names are not namespaces", () => {
    expect(sameNamespace("ACMENS", "acmens")).toBe(true);
    expect(sameNamespace("acme_ns", "ACME_NS")).toBe(true);
    expect(sameNamespace("acme", "acmens")).toBe(false);
    expect(namespaceKey("AcMe")).toBe("acme");
  });
});
