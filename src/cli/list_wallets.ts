/**
 * `stave list-wallets` (spec cli.md §4.8): one wallet per key file, each
 * `Locked` (keys are decrypted per request), with its one account.
 *
 * @module
 */
import { toChecksumAddress } from "../address.ts";
import { bootWarning, type CommandContext } from "./_context.ts";
import { openKeyStore } from "./_keystore.ts";

/**
 * Runs `list-wallets`.
 *
 * @param ctx The command context.
 */
export async function runListWallets(ctx: CommandContext): Promise<void> {
  await bootWarning(ctx);
  const accounts = await openKeyStore(ctx).accounts();
  let out = accounts.length === 0 ? "\nThere are no wallets.\n" : "";
  out += "\n";
  accounts.forEach((a, i) => {
    out += `- Wallet ${i} at ${a.url} (Locked )\n`;
    out += `  -Account 0: ${toChecksumAddress(a.address)} (${a.url})\n\n`;
  });
  ctx.term.write(out);
}
