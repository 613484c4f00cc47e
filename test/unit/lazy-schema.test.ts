import { describe, expect, it } from "vitest";
import { z } from "zod";
import { lazySchema } from "../../src/contract/lazy-schema.js";
import { ReencryptRequestSchema } from "../../src/contract/request.js";
import { JobRecordSchema } from "../../src/jobs/job-record.js";

describe("lazySchema", () => {
  it("builds the schema once, on its first use, and not before", () => {
    let builds = 0;
    const s = lazySchema(() => {
      builds++;
      return z.strictObject({ a: z.string().min(2) });
    });
    expect(builds).toBe(0);
    expect(s.safeParse({ a: "xy" }).success).toBe(true);
    expect(s.safeParse({ a: "x" }).success).toBe(false);
    expect(s.parse({ a: "abc" })).toEqual({ a: "abc" });
    expect(builds).toBe(1);
  });

  it("composes like the schema itself: inside objects and arrays, with optional, extend and omit", () => {
    const leaf = lazySchema(() => z.string().regex(/^b-/, { message: "must start with b-" }));
    const obj = lazySchema(() => z.strictObject({ id: z.number(), name: leaf, tag: leaf.optional() }));
    const list = z.array(obj).max(2);
    expect(list.safeParse([{ id: 1, name: "b-1" }]).success).toBe(true);
    const bad = list.safeParse([{ id: 1, name: "c-1" }]);
    expect(bad.success).toBe(false);
    expect(bad.error?.issues[0]).toMatchObject({ path: [0, "name"], message: "must start with b-" });
    expect(obj.extend({ more: z.boolean() }).safeParse({ id: 1, name: "b-", more: true }).success).toBe(true);
    expect(obj.omit({ name: true }).safeParse({ id: 2 }).success).toBe(true);
    // Unknown keys stay refused through the proxy (strictObject).
    expect(obj.safeParse({ id: 1, name: "b-", extra: 1 }).success).toBe(false);
  });

  it("answers instanceof, keys and prototype as the built schema does", () => {
    const s = lazySchema(() => z.string());
    expect(s instanceof z.ZodString).toBe(true);
    expect(s instanceof z.ZodNumber).toBe(false);
    expect(Object.getPrototypeOf(s)).toBe(Object.getPrototypeOf(z.string()));
    expect("_zod" in s).toBe(true);
    expect(s._zod.def.type).toBe("string");
  });

  it("keeps the project's schemas as strict as before (a request, a job record)", () => {
    expect(ReencryptRequestSchema.safeParse({ targets: [{ bucket: "b" }] }).success).toBe(true);
    const typo = ReencryptRequestSchema.safeParse({ targets: [{ bucket: "b" }], dryrun: true });
    expect(typo.success).toBe(false);
    expect(typo.error?.issues.map((i) => i.code)).toContain("unrecognized_keys");
    expect(JobRecordSchema.safeParse({ format: 1 }).success).toBe(false);
  });
});
