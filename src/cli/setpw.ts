/**
 * `stave setpw <address>` (spec cli.md §4.3): store a keystore password
 * in the vault's credentials store under the checksummed address.
 *
 * @module
 */
import { isHexAddress, toChecksumAddress } from "../address.ts";
import { fromHex } from "../_bytes.ts";
import { FatalError, UnknownAccountError } from "../errors.ts";
import { bootWarning, type CommandContext, getPassPhrase } from "./_context.ts";
import { openKeyStore } from "./_keystore.ts";
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
 * Checks a password against the address's key file in `--keystore`, when
 * there is one (stave: clef stores anything, and a wrong password shows
 * only at the first block). No key file: a warning, and the password is
 * stored unchecked (the key may arrive later).
 *
 * @throws {FatalError} the password does not decrypt the key file, or the
 *   key file cannot be used.
 */
async function checkAgainstKeyFile(
  ctx: CommandContext,
  address: string,
  password: string,
): Promise<void> {
  const keystore = openKeyStore(ctx);
  if (keystore.disabled) return;
  let path: string;
  try {
    path = await keystore.find(fromHex(address.slice(2)));
  } catch (err) {
    if (err instanceof UnknownAccountError) {
      ctx.log.warn(
        "No key file for this address in the keystore; storing the password unchecked",
        { address, keystore: keystore.dir },
      );
      return;
    }
    throw new FatalError(`${(err as Error).message}`, { cause: err });
  }
  try {
    const key = await keystore.decryptKey(
      fromHex(address.slice(2)),
      password,
    );
    key.fill(0);
  } catch (err) {
    throw new FatalError(
      `the password does not open the key file of ${address} (${path}): ${
        (err as Error).message
      }; nothing was stored`,
      { cause: err },
    );
  }
}

/**
 * Runs `setpw`. The password is stored as typed (no policy, empty allowed,
 * as clef), once it has opened the account's key file when that file is in
 * `--keystore`.
 *
 * @param ctx The command context.
 * @throws {FatalError} argument, prompt and vault errors, a password that
 *   does not open the key file, or a vault write error naming the file.
 */
export async function runSetpw(ctx: CommandContext): Promise<void> {
  const address = await addressArgument(ctx, () => bootWarning(ctx));
  const password = await getPassPhrase(ctx, SETPW_HEADING, true);
  ctx.term.write("\n");
  await checkAgainstKeyFile(ctx, address, password);
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
