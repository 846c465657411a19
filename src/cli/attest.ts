/**
 * `stave attest <sha256sum | rules file>` (spec cli.md §4.2): store the
 * rules hash under `ruleset_sha256` in the vault's config store.
 *
 * stave additions: when the argument names an existing file, that file's
 * sha256 (lowercase hex) is stored instead of the argument; a sha256 given
 * as 64 hex digits is stored in lowercase (the form the daemon compares);
 * anything else is refused before the vault is opened (clef stores it
 * verbatim, and the next start then fails on an attestation that can never
 * match). Further arguments are ignored (the guide's
 * `` `sha256sum rules.js | cut -f1` `` passes the file name as a second
 * argument).
 *
 * @module
 */
import { sha256 } from "@noble/hashes/sha2.js";
import { toHex } from "../_bytes.ts";
import { FatalError } from "../errors.ts";
import { bootWarning, type CommandContext, goPathError } from "./_context.ts";
import { openVaultFromFlags } from "./secrets.ts";

/** The config store key of the attested rules hash. */
export const RULESET_KEY = "ruleset_sha256";

/** Largest rules file `attest` hashes. */
export const MAX_RULES_FILE_SIZE = 64 << 20;

async function fileDigest(path: string): Promise<string | undefined> {
  let info: Deno.FileInfo;
  try {
    info = await Deno.stat(path);
  } catch {
    return undefined;
  }
  if (!info.isFile) return undefined;
  if (info.size > MAX_RULES_FILE_SIZE) {
    throw new FatalError(
      `rules file ${path} is larger than ${MAX_RULES_FILE_SIZE} bytes`,
    );
  }
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (err) {
    throw new FatalError(goPathError("open", path, err));
  }
  return toHex(sha256(bytes));
}

/**
 * Runs `attest`.
 *
 * @param ctx The command context.
 * @throws {FatalError} `This command requires an argument.` (before the
 *   boot warning), vault opening errors, or a vault write error naming the
 *   file.
 */
export async function runAttest(ctx: CommandContext): Promise<void> {
  if (ctx.args.length < 1) {
    throw new FatalError("This command requires an argument.");
  }
  await bootWarning(ctx);
  const arg = ctx.args[0];
  let value: string;
  const digest = await fileDigest(arg);
  if (digest !== undefined) {
    value = digest;
  } else if (/^[0-9a-fA-F]{64}$/.test(arg)) {
    value = arg.toLowerCase();
  } else {
    throw new FatalError(
      `${
        JSON.stringify(arg)
      } is neither an existing file nor a sha256 (64 hex digits): give the rules file (stave attest rules.js) or its sha256 (sha256sum rules.js)`,
    );
  }
  const vault = await openVaultFromFlags(ctx);
  if (digest !== undefined) {
    ctx.log.info("Attesting the sha256 of a rules file", { file: arg });
  } else {
    ctx.log.debug("Attesting the sha256 given as argument");
  }
  try {
    await vault.config.put(RULESET_KEY, value);
  } catch (err) {
    throw new FatalError(
      `Failed to store the ruleset attestation: ${(err as Error).message}`,
      { cause: err },
    );
  }
  ctx.log.info("Ruleset attestation updated", { sha256: value });
}
