/**
 * `stave delpw <address>` (spec cli.md §4.3): remove a stored keystore
 * password from the vault's credentials store.
 *
 * @module
 */
import { FatalError } from "../errors.ts";
import { bootWarning, type CommandContext } from "./_context.ts";
import { openVaultFromFlags } from "./secrets.ts";
import { addressArgument } from "./setpw.ts";

/**
 * Runs `delpw`. Removing an address that has no stored password succeeds.
 *
 * @param ctx The command context.
 * @throws {FatalError} argument and vault errors, or a vault write error
 *   naming the file.
 */
export async function runDelpw(ctx: CommandContext): Promise<void> {
  const address = await addressArgument(ctx, () => bootWarning(ctx));
  const vault = await openVaultFromFlags(ctx);
  try {
    await vault.credentials.del(address);
  } catch (err) {
    throw new FatalError(
      `Failed to update the credential store: ${(err as Error).message}`,
      { cause: err },
    );
  }
  ctx.log.info("Credential store updated", { unset: address });
}
