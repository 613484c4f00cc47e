import type { Seed } from "./emulator/index.js";

/** The one compartment everything lives in; the function runs there too, so rotation scans it. */
export const DEMO_COMPARTMENT = "finance";
export const DEMO_STATE_BUCKET = "reencrypt-state";
/** A bucket too big for one short invocation: a request over it answers "incomplete" and is resumed over HTTP. */
export const DEMO_LONG_BUCKET = "media";
export const DEMO_LONG_BUCKET_OBJECTS = 3000;

/** Names that break naive URL building: spaces, `+` (a space in a query), `%`, `#`, `?`, `&`, non-ASCII. */
export const HOSTILE_NAMES = [
  "2024/Q1 report+final.pdf",
  "2024/Q2 résumé & notes.txt",
  "2024/100% paid?.csv",
  "2024/#42 a+b=c.json",
] as const;

/**
 * A small tenancy in namespace "demo": ~3,000 versions on finance-key, 1,000 on logs-key, 3,000
 * Oracle-managed ones in "media" (for a long request), a few SSE-C ones. The "public" bucket's
 * keep/ objects sit on finance-key because a rule (REENCRYPT_RULES) puts them there on upload, so
 * a rotation must find them through the rule.
 */
export function demoSeed(): Seed {
  const c = DEMO_COMPARTMENT;
  return {
    namespace: "demo",
    compartments: [c],
    vaults: [{ name: "demo-vault", compartment: c, keys: [{ name: "finance-key" }, { name: "logs-key" }] }],
    secrets: [{ name: "customer-key", compartment: c, randomSseCKey: true }],
    buckets: [
      {
        name: "invoices",
        compartment: c,
        kmsKey: "finance-key",
        versioning: "Enabled",
        objects: [
          { prefix: "2025/inv-", count: 1000, versions: 2 },
          ...HOSTILE_NAMES.map((name) => ({ name, versions: 2 })),
          // A delete marker: the job must step over it, not fail on it.
          { name: "2023/withdrawn.pdf", deleted: true },
        ],
      },
      { name: "archive", compartment: c, kmsKey: "finance-key", objects: [{ prefix: "2023/", count: 1000 }] },
      {
        name: "app-logs",
        compartment: c,
        kmsKey: "logs-key",
        objects: [
          { prefix: "2024/12/", count: 500 },
          { prefix: "2025/01/", count: 500 },
        ],
      },
      {
        name: "public",
        compartment: c,
        objects: [
          { name: "readme.txt" },
          { name: "logo.png" },
          { name: "keep/contract-2024.pdf", kmsKey: "finance-key" },
          { name: "keep/board minutes.docx", kmsKey: "finance-key" },
          { name: "keep/audit.xlsx", kmsKey: "finance-key" },
          { name: "sealed/payroll.csv", sseCustomerKey: { secret: "customer-key" } },
          { name: "sealed/bank-details.csv", sseCustomerKey: { secret: "customer-key" } },
        ],
      },
      { name: DEMO_LONG_BUCKET, compartment: c, objects: [{ prefix: "video/", count: DEMO_LONG_BUCKET_OBJECTS }] },
      { name: DEMO_STATE_BUCKET, compartment: c },
    ],
  };
}
