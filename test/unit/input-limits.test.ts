import { describe, expect, it } from "vitest";
import { jsonDepthExceeds, MAX_JSON_DEPTH } from "../../src/contract/json-depth.js";
import { KeyOcidSchema } from "../../src/contract/ocid.js";
import { dedupeUnits } from "../../src/jobs/from-request.js";
import type { Unit } from "../../src/model/job.js";
import { classify } from "../../src/invocation/classify.js";
import { ReencryptError } from "../../src/errors.js";

describe("input limits", () => {
  it("measures JSON nesting without parsing, ignoring brackets inside strings", () => {
    expect(jsonDepthExceeds('{"a":[{"b":[1]}]}', 4)).toBe(false);
    expect(jsonDepthExceeds('{"a":[{"b":[[1]]}]}', 4)).toBe(true);
    expect(jsonDepthExceeds('{"a":"[[[[[[[[[[\\"[[[[["}', 1)).toBe(false);
  });

  it("refuses a deeply nested body before parsing it", () => {
    const deep = `{"targets":${"[".repeat(1_000_000)}${"]".repeat(1_000_000)}}`;
    const started = performance.now();
    expect(() => classify(deep)).toThrow(ReencryptError);
    expect(performance.now() - started).toBeLessThan(1_000);
    expect(() => classify(`{"targets":${"[".repeat(MAX_JSON_DEPTH - 2)}${"]".repeat(MAX_JSON_DEPTH - 2)}}`)).not.toThrow();
  });

  it("bounds OCIDs to 255 characters", () => {
    expect(KeyOcidSchema.safeParse(`ocid1.key.oc1.iad.${"a".repeat(60)}`).success).toBe(true);
    expect(KeyOcidSchema.safeParse(`ocid1.key.oc1.iad.${"a".repeat(70_000)}`).success).toBe(false);
  });

  it("processes duplicate and covered targets once, keeping order", () => {
    const u = (scope: Unit["scope"], bucket = "b"): Unit => ({ namespace: "ns", bucket, scope, key: { type: "bucket" } });
    const all = u({ kind: "prefix", prefix: "c/", allVersions: true });
    const units = [
      u({ kind: "object", object: "c/1" }),
      all,
      u({ kind: "prefix", prefix: "c/", allVersions: true }),
      u({ kind: "prefix", prefix: "c/d/", allVersions: false }),
      u({ kind: "object", object: "c/2", versionId: "v" }),
      u({ kind: "object", object: "x/1" }),
      u({ kind: "object", object: "c/1" }, "other"),
    ];
    expect(dedupeUnits(units)).toEqual([all, units[5], units[6]]);
    // A specific version is not covered by a latest-only prefix.
    const latest = u({ kind: "prefix", prefix: "c/", allVersions: false });
    const version = u({ kind: "object", object: "c/2", versionId: "v" });
    expect(dedupeUnits([latest, version])).toEqual([latest, version]);
  });
});
