/**
 * The minimal signer of the keystore subcommands (`newaccount`,
 * `importraw`, `list-accounts`, `list-wallets`): the key folder from
 * `--keystore` with `--lightkdf`'s scrypt parameters, and the CLI UI on
 * the shared terminal (clef `initInternalApi`).
 *
 * @module
 */
import {
  LIGHT_SCRYPT_N,
  LIGHT_SCRYPT_P,
  STANDARD_SCRYPT_N,
  STANDARD_SCRYPT_P,
} from "../keystore/kdf.ts";
import { CliUi } from "../ui/cli_ui.ts";
import type { CommandContext } from "./_context.ts";
import { FsKeyStore } from "./fs_key_dir.ts";

/**
 * Opens the key folder of `--keystore` (`""` → disabled).
 *
 * @param ctx The command context.
 * @returns The key store.
 */
export function openKeyStore(ctx: CommandContext): FsKeyStore {
  const light = ctx.options.lightKdf;
  return new FsKeyStore(ctx.options.keystore, {
    scryptN: light ? LIGHT_SCRYPT_N : STANDARD_SCRYPT_N,
    scryptP: light ? LIGHT_SCRYPT_P : STANDARD_SCRYPT_P,
    onSkip: (path, reason) =>
      ctx.log.debug("Failed to decode keystore key", { path, err: reason }),
  });
}

/**
 * The built-in CLI UI on the shared terminal, reading passwords with
 * clef's prompter behaviour (pipe notice before the first prompt).
 *
 * @param ctx The command context.
 * @returns The UI.
 */
export function commandLineUi(ctx: CommandContext): CliUi {
  return new CliUi(ctx.term, {
    logger: ctx.log,
    readPassword: (prompt) => ctx.term.promptPassword(prompt),
  });
}
