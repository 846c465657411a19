/**
 * `stave setpw <address>` (spec cli.md §4.3): store a keystore password
 * in the vault's credentials store under the checksummed address.
 *
 * @module
 */
import { isHexAddress, toChecksumAddress } from "../address.ts";
import { FatalError } from "../errors.ts";
import { bootWarning, type CommandContext, getPassPhrase } from "./_context.ts";
import { openVaultFromFlags } from "./secrets.ts";

/** The heading of the password prompt. */
export const SETPW_HEADING =
  "Please enter a password to store for this address:";

/**
 * The address argument of `setpw`/`delpw`, checked as clef does.
 *
 * @param ctx The command context.
 * @param afterCheck Runs between the argument-count check and the address
 *   check (the boot warning).
 * @returns The checksummed address.
 * @throws {FatalError} `This command requires an address to be passed as
 *   an argument` or `Invalid address specified: <arg>`.
 */
export async function addressArgument(
  ctx: CommandContext,
  afterCheck: () => Promise<void>,
): Promise<string> {
  if (ctx.args.length < 1) {
    throw new FatalError(
      "This command requires an address to be passed as an argument",
    );
  }
  await afterCheck();
  const arg = ctx.args[0];
  if (!isHexAddress(arg)) {
    throw new FatalError(`Invalid address specified: ${arg}`);
  }
  return toChecksumAddress(arg);
}

/**
 * Runs `setpw`. The password is stored as typed: no policy, no check
 * against the key file, empty allowed (as clef).
 *
 * @param ctx The command context.
 * @throws {FatalError} argument, prompt and vault errors, or a vault write
 *   error naming the file.
 */
export async function runSetpw(ctx: CommandContext): Promise<void> {
  const address = await addressArgument(ctx, () => bootWarning(ctx));
  const password = await getPassPhrase(ctx, SETPW_HEADING, true);
  ctx.term.write("\n");
  const vault = await openVaultFromFlags(ctx);
  try {
    await vault.credentials.put(address, password);
  } catch (err) {
    throw new FatalError(
      `Failed to update the credential store: ${(err as Error).message}`,
      { cause: err },
    );
  }
  ctx.log.info("Credential store updated", { set: address });
}
