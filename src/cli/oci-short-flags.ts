/**
 * The OCI CLI's two-letter short options, which no option parser takes as such, and its `-?` (help,
 * which commander's help option cannot take beside -h): rewritten to their long names.
 */
export const OCI_SHORT_FLAGS: Readonly<Record<string, string>> = {
  "-ns": "--namespace-name",
  "-bn": "--bucket-name",
  "-on": "--object-name",
  "-?": "--help",
};

/**
 * `-ns x` → `--namespace-name x` (and `-bn`, `-on`, `-?`), wherever they stand as options: not as the
 * value of an option that takes one (`--prefix -bn` keeps "-bn"), nor after `--`.
 */
export function expandOciShortFlags(args: readonly string[], takesValue: ReadonlySet<string>): string[] {
  const out: string[] = [];
  let afterDashes = false;
  for (let i = 0; i < args.length; i++) {
    const a = args[i] as string;
    const previous = out[out.length - 1];
    const isValue = i > 0 && previous !== undefined && takesValue.has(previous) && !previous.includes("=");
    if (a === "--") afterDashes = true;
    const long = OCI_SHORT_FLAGS[a];
    out.push(!afterDashes && !isValue && long !== undefined ? long : a);
  }
  return out;
}
