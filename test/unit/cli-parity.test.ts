import { readFileSync, writeFileSync } from "node:fs";
import type { Option } from "commander";
import { describe, expect, it } from "vitest";
import { createProgram } from "../../src/cli/cli-program.js";
import { parityMarkdown, parityProblems, parityRows, type OfficialData } from "../../src/cli/parity-table.js";

// docs/cli.md's parity table is generated from oci's options (extracted from oracle/oci-cli by
// scripts/extract-oci-cli-options.mjs) and our commander tree. This fails when an official option
// is neither taken by oci-reencrypt nor listed as a difference, and when the docs' table drifts.
// To regenerate the table: UPDATE_CLI_PARITY=1 npx vitest run test/unit/cli-parity.test.ts

const official = JSON.parse(readFileSync(new URL("../fixtures/oci-cli/reencrypt-options.json", import.meta.url), "utf8")) as OfficialData;
const DOC = new URL("../../docs/cli.md", import.meta.url);
const BEGIN = "<!-- parity:begin (generated: UPDATE_CLI_PARITY=1 npx vitest run test/unit/cli-parity.test.ts) -->";
const END = "<!-- parity:end -->";

describe("parity with oci", () => {
  it("every official option is taken by oci-reencrypt or listed as a difference", () => {
    expect(parityProblems(official, createProgram("0.0.0"))).toEqual([]);
  });

  it("fails on an official option that is neither (the check is not vacuous)", () => {
    const more: OfficialData = { ...official, commands: { ...official.commands, "os object reencrypt": [...(official.commands["os object reencrypt"] ?? []), { names: ["--if-match"], flag: false }] } };
    expect(parityProblems(more, createProgram("0.0.0"))).toEqual(["os object reencrypt: --if-match: not taken by oci-reencrypt (--if-match) and not listed as a difference"]);
    // An alias we lost is caught too.
    const program = createProgram("0.0.0");
    const object = program.commands.find((c) => c.name() === "object");
    const name = object?.options.find((o) => o.long === "--name");
    (object?.options as Option[]).splice((object?.options ?? []).indexOf(name as Option), 1);
    expect(parityProblems(official, program).join("\n")).toMatch(/--object-name, -on, --name: not taken by oci-reencrypt \(--name\)/);
  });

  it("takes every alias of the object and bucket parameters", () => {
    const rows = parityRows(official, createProgram("0.0.0"), "os object reencrypt");
    expect(rows.find((r) => r.official[0] === "--object-name")).toMatchObject({ ours: ["--object-name", "-on", "--name"], status: "same" });
    expect(parityRows(official, createProgram("0.0.0"), "os bucket reencrypt").map((r) => r.status)).not.toContain("missing");
  });

  it("docs/cli.md holds the generated table", () => {
    const doc = readFileSync(DOC, "utf8");
    const start = doc.indexOf(BEGIN);
    const end = doc.indexOf(END);
    expect(start, `docs/cli.md has no "${BEGIN}" marker`).toBeGreaterThan(0);
    const generated = `${BEGIN}\n${parityMarkdown(official, createProgram("0.0.0"))}${END}`;
    const current = doc.slice(start, end + END.length);
    if (process.env["UPDATE_CLI_PARITY"] === "1" && current !== generated) writeFileSync(DOC, doc.slice(0, start) + generated + doc.slice(end + END.length));
    else expect(current).toBe(generated);
  });
});
