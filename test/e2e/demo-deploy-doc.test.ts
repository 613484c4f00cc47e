import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";

// docs/deploy.md (issue 11): every command is either run by a test (block tag "local") or marked
// as needing a real tenancy (tag "tenancy"); the local ones this file can run cheaply are run here
// and their output compared with the doc's; the names the doc uses exist in the code it describes.

const DOC = readFileSync("docs/deploy.md", "utf8");

interface Block {
  lang: string;
  tags: string[];
  body: string;
  /** The fenced block that follows, when it is the output shown for this one. */
  output?: string;
}

function blocks(md: string): Block[] {
  const out: Block[] = [];
  const re = /^```([^\n]*)\n([\s\S]*?)^```$/gm;
  let m: RegExpExecArray | null;
  let last: Block | undefined;
  let lastEnd = -1;
  while ((m = re.exec(md))) {
    const [lang = "", ...tags] = (m[1] ?? "").trim().split(/\s+/);
    const b: Block = { lang, tags, body: m[2] ?? "" };
    // An output block directly after a command block (only blank lines or prose of one paragraph between).
    if (lang === "text" && last && (last.lang === "sh") && md.slice(lastEnd, m.index).trim().split("\n\n").length <= 2) last.output = b.body;
    out.push(b);
    last = b;
    lastEnd = m.index + m[0].length;
  }
  return out;
}

/** Command lines of a shell block: comments dropped, `\` continuations joined. */
function commands(body: string): string[] {
  const out: string[] = [];
  let pending = "";
  for (const raw of body.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    pending = pending ? `${pending} ${line}` : line;
    if (pending.endsWith("\\")) {
      pending = pending.slice(0, -1).trimEnd();
      continue;
    }
    out.push(pending);
    pending = "";
  }
  return out;
}

/** Every local command, and where it is exercised. */
const LOCAL: { command: RegExp; coveredBy: string; mustContain: string }[] = [
  { command: /^npm ci$/, coveredBy: "package.json", mustContain: '"devDependencies"' }, // every test runs on what it installs
  { command: /^npm start -- --deadline \d+$/, coveredBy: "test/e2e/demo.test.ts", mustContain: '"--deadline", "5"' },
  { command: /^npm run job -- --help$/, coveredBy: "test/e2e/demo-deploy-doc.test.ts", mustContain: "npm run job -- --help" },
  { command: /^npm run job -- [0-9a-f-]{36}$/, coveredBy: "test/e2e/demo.test.ts", mustContain: "npm run job -- <id>" },
  { command: /^npm run -s job -- [0-9a-f-]{36} --report$/, coveredBy: "test/e2e/demo.test.ts", mustContain: "npm run -s job -- <id> --report" },
  { command: /^npm run -s image -- --push iad\.ocir\.io\/mytenancyns\/oci-reencrypt --dry-run$/, coveredBy: "test/e2e/demo-deploy-doc.test.ts", mustContain: "--dry-run" },
  { command: /^npx oci-reencrypt run --local -bn invoices --prefix 2024\/ --all-versions --dry-run --output table$/, coveredBy: "test/e2e/demo.test.ts", mustContain: "npx oci-reencrypt run --local" },
  { command: /^npx oci-reencrypt status [0-9a-f-]{36} --local --no-wait --output table$/, coveredBy: "test/e2e/demo.test.ts", mustContain: "npx oci-reencrypt status <id> --local" },
];

// Its own temporary directory: test/unit/image-script.test.ts counts the image script's scratch directories in the shared one.
const ownTmp = mkdtempSync(join(tmpdir(), "demo-deploy-doc-"));
afterAll(() => rmSync(ownTmp, { recursive: true, force: true }));
const sh = (command: string) => spawnSync("sh", ["-c", command], { encoding: "utf8", cwd: resolve("."), timeout: 60_000, env: { ...process.env, TMPDIR: ownTmp } });

/** Tags vary per build: 0.1.0-<commit>[-dirty]. */
const normalTag = (text: string) => text.replace(/:\d+\.\d+\.\d+(-[0-9a-f]{7})?(-dirty)?\b/g, ":<tag>");

describe("docs/deploy.md", () => {
  const all = blocks(DOC);
  const shell = all.filter((b) => ["sh", "bash", "shell", "console"].includes(b.lang));

  it("marks every command block as local (run by a test) or tenancy (needs a real tenancy)", () => {
    expect(shell.length).toBeGreaterThan(10);
    for (const b of shell) expect(b.tags, b.body).toEqual([expect.stringMatching(/^(local|tenancy)$/)]);
    // A real-tenancy block says so in the prose too, for readers who do not see the tag: between
    // its section's heading and the block.
    for (const m of DOC.matchAll(/^```sh tenancy$/gm)) {
      const before = DOC.slice(0, m.index);
      const section = before.slice(before.lastIndexOf("\n## "));
      expect(section, `the prose before a real-tenancy block: ${section.split("\n")[1]}`).toMatch(/real tenancy/);
    }
  });

  it("every local command is exercised by a test", () => {
    const local = shell.filter((b) => b.tags.includes("local")).flatMap((b) => commands(b.body));
    expect(local.length).toBeGreaterThanOrEqual(6);
    for (const c of local) {
      const cover = LOCAL.find((l) => l.command.test(c));
      expect(cover, `no test runs the local command: ${c}`).toBeDefined();
      if (!cover) continue;
      expect(existsSync(cover.coveredBy), cover.coveredBy).toBe(true);
      expect(readFileSync(cover.coveredBy, "utf8"), `${cover.coveredBy} should exercise: ${c}`).toContain(cover.mustContain);
    }
  });

  it("the image dry run prints what the doc shows", () => {
    const block = shell.find((b) => /npm run -s image -- .*--dry-run/.test(b.body));
    expect(block?.output).toBeDefined();
    const command = commands(block?.body ?? "")[0] as string;
    const r = sh(command);
    expect(r.status, r.stderr).toBe(0);
    expect(normalTag(r.stdout).trim()).toBe(normalTag(block?.output ?? "").trim());
  });

  it("npm run job -- --help answers with its usage", () => {
    const r = sh("npm run -s job -- --help");
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^usage: npm run job -- <jobId>/);
  });

  it("names the function as func.yaml and Terraform do, and uses only outputs, inputs, scripts and checks that exist", () => {
    const prefix = /variable "name_prefix" \{[\s\S]*?default\s*=\s*"([^"]+)"/.exec(readFileSync("terraform/variables.tf", "utf8"))?.[1];
    expect(prefix).toBe("reencrypt");
    expect(/^name: (\S+)$/m.exec(readFileSync("func.yaml", "utf8"))?.[1]).toBe(prefix);
    expect(readFileSync("terraform/locals.tf", "utf8")).toMatch(/application_name\s*=\s*"\$\{var\.name_prefix\}-app"/);
    expect(DOC).toContain(`**\`${prefix}-app\`**`);
    expect(DOC).toContain(`**\`${prefix}\`**`);

    const outputs = new Set([...readFileSync("terraform/examples/both/outputs.tf", "utf8").matchAll(/^output "([^"]+)"/gm)].map((m) => m[1]));
    for (const m of DOC.matchAll(/terraform output -raw (\w+)/g)) expect(outputs, `terraform output ${m[1]}`).toContain(m[1]);

    const inputs = new Set([...readFileSync("terraform/variables.tf", "utf8").matchAll(/^variable "([^"]+)"/gm)].map((m) => m[1]));
    for (const b of all.filter((x) => x.lang === "hcl")) for (const m of b.body.matchAll(/^(\w+)\s*=/gm)) expect(inputs, `module input ${m[1]}`).toContain(m[1]);

    const scripts = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: Record<string, string> }).scripts;
    for (const m of DOC.matchAll(/npm run (?:-s )?(\w+)/g)) expect(Object.keys(scripts), `npm script ${m[1]}`).toContain(m[1]);

    // The diagnose table: every check id it names is one the code reports.
    const diagnose = readdirSync("src/diagnose").map((f) => readFileSync(`src/diagnose/${f}`, "utf8")).join("\n");
    const table = DOC.slice(DOC.indexOf("| Check | Problem | Fix it names |"));
    const rows = table.split("\n").filter((l) => l.startsWith("| `"));
    expect(rows.length).toBeGreaterThanOrEqual(6);
    for (const row of rows) {
      for (const m of (row.split("|")[1] ?? "").matchAll(/`([a-z.<>-]+)`/g)) {
        const id = m[1] as string;
        const prefix = /^(.+)\.<[a-z]+>$/.exec(id)?.[1];
        expect(diagnose, `diagnose check ${id}`).toContain(prefix ? `\`${prefix}.\${` : `"${id}"`);
      }
    }
  });
});
