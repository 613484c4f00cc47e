import type { Emulator } from "../emulator/index.js";

// A summary that says `"skipped": 1` leaves a newcomer guessing. The report names each skipped
// version (its line has no reason: a skip makes no call, so there is no answer to quote); the
// emulator knows what each one is, so the demo can say why it was left alone.

interface ReportLine {
  bucket?: string;
  object?: string;
  versionId?: string;
  outcome?: string;
}

/** `/n/<ns>/b/<bucket>/o/<name>` → the object name, when it is in `bucket`. */
function objectIn(path: string, bucket: string): string | undefined {
  const m = /^\/n\/[^/]+\/b\/([^/]+)\/o\/(.+)$/.exec(path);
  return m && m[1] === bucket ? m[2] : undefined;
}

function skippedLines(em: Emulator, stateBucket: string, parts: readonly string[]): ReportLine[] {
  const out: ReportLine[] = [];
  for (const part of parts) {
    const name = objectIn(part, stateBucket);
    const v = name === undefined ? undefined : em.state.findVersion(stateBucket, name);
    if (!v || v.isDeleteMarker) continue;
    for (const text of v.content.toString("utf8").split("\n")) {
      if (!text.includes('"skipped"')) continue;
      try {
        const line = JSON.parse(text) as ReportLine;
        if (line.outcome === "skipped") out.push(line);
      } catch {
        // A line cut by a part boundary is not a skipped version of its own.
      }
    }
  }
  return out;
}

/** One sentence per skipped version (at most `limit`), saying what it is, from the emulator's ground truth. */
export function explainSkipped(em: Emulator, stateBucket: string, parts: readonly string[], limit = 3): string[] {
  const skipped = skippedLines(em, stateBucket, parts);
  const said = skipped.slice(0, limit).map((s) => {
    const where = `${s.bucket ?? "?"}/${s.object ?? "?"}`;
    const v = s.bucket !== undefined && s.object !== undefined ? em.state.findVersion(s.bucket, s.object, s.versionId) : undefined;
    if (v?.isDeleteMarker) return `${where} is a delete marker: the object was deleted, and a marker holds no data to re-encrypt`;
    return `${where} is governed by another key (a rule gives its scope to another key), so this job left it alone`;
  });
  if (skipped.length > limit) said.push(`and ${skipped.length - limit} more (the report lists each with "outcome":"skipped")`);
  return said;
}
