import { ReencryptError } from "../errors.js";
import { usageError, type CliError } from "./cli-error.js";

const FLAG_OF_PATH: readonly [RegExp, string][] = [
  [/^targets\.\d+\.bucket$/, "--bucket-name"],
  [/^targets\.\d+\.prefix$/, "--prefix"],
  [/^targets\.\d+\.namespace$/, "--namespace-name"],
  [/^targets$/, "--bucket-name"],
  [/^key(\.kmsKeyId)?$/, "--kms-key-id"],
  [/^key\.base64Key$/, "--encryption-key-file"],
  [/^sourceKey(\.base64Key)?$/, "--source-encryption-key-file"],
];

/**
 * A request the function's schema refused, as usage lines: named by flag when the flags built the
 * request, by `--targets <field path>` when the body came from a file.
 */
export function requestRefused(error: unknown, fromFlags: boolean): CliError {
  if (!(error instanceof ReencryptError)) throw error;
  const issues = error.issues.length > 0 ? error.issues : [{ path: "", message: error.message }];
  const lines = issues.map((i) => {
    const flag = fromFlags ? FLAG_OF_PATH.find(([re]) => re.test(i.path))?.[1] : undefined;
    return `${flag ?? `--targets ${i.path || "body"}`}: ${i.message}`;
  });
  return usageError(lines.join("\n"));
}
