import { namespaceKey, sameNamespace } from "../same-namespace.js";
import type { Unit } from "./job.js";

const unitKey = (u: Unit): string =>
  JSON.stringify([namespaceKey(u.namespace), u.bucket, u.scope.kind, u.scope.kind === "object" ? [u.scope.object, u.scope.versionId ?? null] : [u.scope.prefix, u.scope.allVersions]]);

/**
 * Targets that name the same versions are processed once (contract §10): exact duplicates, a
 * prefix inside another prefix of the same bucket that covers at least the same versions, and an
 * object inside such a prefix (its latest version under any prefix, one version under an
 * all-versions prefix). Order is kept.
 */
export function dedupeUnits(units: Unit[]): Unit[] {
  const seen = new Set<string>();
  const prefixes = units.filter((u) => u.scope.kind === "prefix");
  // Computed once: the pairwise test below runs up to a million times for 1,000 targets.
  const keyText = new Map(units.map((u) => [u, JSON.stringify(u.key)]));
  const order = new Map(prefixes.map((p, i) => [p, i]));
  const covered = (u: Unit): boolean =>
    prefixes.some((p) => {
      if (p === u || !sameNamespace(p.namespace, u.namespace) || p.bucket !== u.bucket || p.scope.kind !== "prefix" || p.method !== u.method) return false;
      if (keyText.get(p) !== keyText.get(u)) return false;
      const ps = p.scope;
      if (u.scope.kind === "object") return u.scope.object.startsWith(ps.prefix) && (u.scope.versionId === undefined || ps.allVersions);
      if (!u.scope.prefix.startsWith(ps.prefix) || (u.scope.allVersions && !ps.allVersions)) return false;
      // Two equal prefixes: the first one stays.
      return u.scope.prefix !== ps.prefix || u.scope.allVersions !== ps.allVersions || (order.get(p) as number) < (order.get(u) as number);
    });
  return units.filter((u) => {
    const k = unitKey(u);
    if (seen.has(k)) return false;
    seen.add(k);
    return !covered(u);
  });
}
