import { drawTable, scalarText, type Cell } from "./table-render.js";
import { search } from "jmespath";
import { usageError } from "./cli-error.js";
import type { CliRc } from "./cli-rc.js";

// `--query` (JMESPath) and `--raw-output`, as oci-cli's cli_util.render applies them: the query
// runs on the answer printed on stdout; a null result prints "Query returned empty result, no
// output to show." on stderr and nothing on stdout; with --raw-output a string result is printed
// without quotes. jmespath (the reference JavaScript implementation) follows the same
// specification as the Python jmespath package oci-cli uses.

interface QuerySetting {
  expression: string;
  raw: boolean;
}

let active: QuerySetting | undefined;

/** `query://name` reads the rc file's [OCI_CLI_CANNED_QUERIES], as oci-cli resolves it. */
export function resolveQuery(query: string, rc: Pick<CliRc, "cannedQueries" | "path">): string {
  if (!query.startsWith("query://")) return query;
  const name = query.slice("query://".length);
  const canned = rc.cannedQueries.get(name);
  if (canned === undefined) throw usageError(`--query: query ${name} is not defined in your OCI CLI configuration file${rc.path ? `: ${rc.path}` : " (no oci_cli_rc file was found)"}`);
  return canned;
}

/** Checked before anything is called: a query that does not parse is a usage error. */
export function setOutputQuery(o: { query?: string | undefined; rawOutput?: boolean | undefined }, rc: Pick<CliRc, "cannedQueries" | "path">): void {
  if (o.query === undefined) {
    active = undefined;
    return;
  }
  const expression = resolveQuery(o.query, rc);
  try {
    search({}, expression);
  } catch (error) {
    const why = error instanceof Error ? error.message : String(error);
    const escaping = /unknown token|unexpected character/i.test(why)
      ? `; a key with characters other than [a-zA-Z0-9_] needs double quotes inside single quotes, e.g. --query 'counts."re-encrypted"'`
      : "";
    throw usageError(`--query ${o.query}: not a JMESPath expression: ${why}${escaping}`);
  }
  active = { expression, raw: o.rawOutput === true };
}

/**
 * The answer after --query: `undefined` when no query is set (print as usual); otherwise what to
 * print (`text`, with its newline) or nothing (`text` undefined: the empty-result note went to stderr).
 */
export function queriedOutput(result: unknown, format: "json" | "table"): { text: string | undefined } | undefined {
  if (active === undefined) return undefined;
  const data: unknown = search(result, active.expression);
  if (data === null || data === undefined) {
    process.stderr.write("Query returned empty result, no output to show.\n");
    return { text: undefined };
  }
  if (format === "table") return { text: queryTable(data) + "\n" };
  if (active.raw && typeof data === "string") return { text: data + "\n" };
  return { text: JSON.stringify(data, null, 2) + "\n" };
}

/** Tests reset the module between runs in one process. */
export function clearOutputQuery(): void {
  active = undefined;
}

const cell = (v: unknown): Cell => ({ lines: [scalarText(v)] });

/** A query's result as oci-cli's print_table lays it out: sorted keys as columns, "Column1" for scalars. */
export function queryTable(data: unknown): string {
  const isObject = (v: unknown): v is Record<string, unknown> => typeof v === "object" && v !== null && !Array.isArray(v);
  const o = { width: undefined, paint: (_c: unknown, text: string) => text };
  if (Array.isArray(data) && data.length > 0 && data.every(isObject)) {
    const columns = [...new Set(data.flatMap((r) => Object.keys(r)))].sort();
    return drawTable(columns, data.map((r) => columns.map((c) => cell(r[c]))), o);
  }
  if (Array.isArray(data)) return drawTable(["Column1"], data.map((v) => [cell(v)]), o);
  if (isObject(data)) {
    const columns = Object.keys(data).sort();
    return drawTable(columns, [columns.map((c) => cell(data[c]))], o);
  }
  return drawTable(["Column1"], [[cell(data)]], o);
}
