/**
 * Command lines in hints ("run 'stave attest …'") that repeat the flags the
 * operator used for where things are (`--configdir`, `--keystore`,
 * `--signersecret`, `--chainid`), so the hint can be pasted as it is.
 *
 * @module
 */
import type { GlobalOptions } from "./args.ts";

/** A word as a POSIX shell reads it back (quoted only when needed). */
export function shellWord(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replaceAll("'", `'\\''`)}'`;
}

/**
 * Renders `stave [the operator's location flags] <command> <args…>`.
 *
 * @param options The effective options (`given` names the flags typed).
 * @param command The subcommand.
 * @param args Its arguments.
 * @returns The command line.
 *
 * @example Usage
 * ```ts
 * import { staveCommandLine } from "./hint.ts";
 * import { defaultOptions } from "./args.ts";
 * import { strictEqual } from "node:assert/strict";
 * const o = defaultOptions({ os: "linux", get: () => "/h" });
 * o.configdir = "./clef";
 * o.given = new Set(["configdir"]);
 * strictEqual(staveCommandLine(o, "attest", "r.js"), "stave --configdir ./clef attest r.js");
 * ```
 */
export function staveCommandLine(
  options: GlobalOptions,
  command: string,
  ...args: string[]
): string {
  const words = ["stave"];
  const given = options.given;
  if (given.has("configdir")) words.push("--configdir", options.configdir);
  if (given.has("keystore")) words.push("--keystore", options.keystore);
  if (given.has("signersecret") && options.signerSecret !== undefined) {
    words.push("--signersecret", options.signerSecret);
  }
  if (given.has("chainid")) words.push("--chainid", String(options.chainId));
  words.push(command, ...args);
  return words.map(shellWord).join(" ");
}
