/**
 * `stave newaccount` (spec cli.md §4.5): create a random key in the key
 * folder, asking for its password through the CLI UI (3 attempts, clef's
 * `account_new` password loop, external-api.md §4.3).
 *
 * @module
 */
import { toChecksumAddress } from "../address.ts";
import { StaveError } from "../errors.ts";
import { checkPassword } from "../vault/password_policy.ts";
import { bootWarning, type CommandContext } from "./_context.ts";
import { commandLineUi, openKeyStore } from "./_keystore.ts";

/** clef's password attempts for a new account. */
export const NEW_ACCOUNT_ATTEMPTS = 3;

/**
 * Runs `newaccount`.
 *
 * @param ctx The command context.
 * @throws {StaveError} `password based accounts not supported` (no key
 *   folder), `account creation failed` after three failed attempts, or
 *   `account creation failed: end of input` when stdin ends first.
 */
export async function runNewAccount(ctx: CommandContext): Promise<void> {
  await bootWarning(ctx);
  const ks = openKeyStore(ctx);
  if (ks.disabled) {
    throw new StaveError("password based accounts not supported");
  }
  const ui = commandLineUi(ctx);
  for (let i = 0; i < NEW_ACCOUNT_ATTEMPTS; i++) {
    let password: string;
    try {
      password = (await ui.onInputRequired({
        title: "New account password",
        prompt:
          `Please enter a password for the new account to be created (attempt ${i} of ${NEW_ACCOUNT_ATTEMPTS})`,
        isPassword: true,
      })).text;
    } catch (err) {
      ctx.log.warn("error obtaining password", {
        attempt: i,
        error: (err as Error).message,
      });
      // Nothing more will come once stdin has ended: stop asking.
      if (ui.atEndOfInput) {
        throw new StaveError("account creation failed: end of input");
      }
      continue;
    }
    try {
      checkPassword(password);
    } catch (err) {
      ui.showError(
        `Account creation attempt #${
          i + 1
        } failed due to password requirements: ${(err as Error).message}`,
      );
      continue;
    }
    const acc = await ks.newAccount(password);
    const address = toChecksumAddress(acc.address);
    ctx.log.info("Your new key was generated", { address });
    ctx.log.warn("Please backup your key file!", { path: acc.path });
    ctx.log.warn("Please remember your password!");
    ctx.term.write(`Generated account ${address}\n`);
    return;
  }
  throw new StaveError("account creation failed");
}
