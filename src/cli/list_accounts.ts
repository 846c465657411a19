/**
 * `stave list-accounts` (spec cli.md §4.7): every account of the key
 * folder as `<checksummed address> (<url>)`; no approval involved.
 *
 * @module
 */
import { toChecksumAddress } from "../address.ts";
import { bootWarning, type CommandContext } from "./_context.ts";
import { openKeyStore } from "./_keystore.ts";

/**
 * Runs `list-accounts`.
 *
 * @param ctx The command context.
 */
export async function runListAccounts(ctx: CommandContext): Promise<void> {
  await bootWarning(ctx);
  const accounts = await openKeyStore(ctx).accounts();
  let out = accounts.length === 0 ? "\nThe keystore is empty.\n" : "";
  out += "\n";
  for (const a of accounts) {
    out += `${toChecksumAddress(a.address)} (${a.url})\n`;
  }
  ctx.term.write(out);
}
