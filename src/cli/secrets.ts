/**
 * Opening the vault for `attest`, `setpw` and `delpw` (clef
 * `readMasterKey`, spec storage.md §2.2) with stave's two readings of
 * `--signersecret`:
 *
 * - a file that parses as an encrypted master seed is the seed (clef's
 *   meaning); the master password is prompted (`Decrypt master seed of
 *   clef`);
 * - any other file is a password file: its first line is the master
 *   password and the seed is `<configdir>/masterseed.json`; nothing is
 *   prompted.
 *
 * Without the flag the seed is `<configdir>/masterseed.json` and the
 * password is prompted. The reading used is logged (never the secret).
 * Every failure is fatal (`Fatal: <message>`), as in clef's subcommands.
 *
 * @module
 */
import { join } from "node:path";
import { FatalError } from "../errors.ts";
import type { Logger } from "../log.ts";
import { decryptMasterSeed } from "../vault/master_seed.ts";
import { type CommandContext, getPassPhrase, goPathError } from "./_context.ts";
import {
  openVault,
  readMasterSeedFile,
  readSignerSecretFile,
  type Vault,
} from "./fs_vault.ts";

/** clef's heading for the master password prompt in subcommands. */
export const MASTER_PASSWORD_HEADING = "Decrypt master seed of clef";

function fatal(err: unknown): FatalError {
  return err instanceof FatalError
    ? err
    : new FatalError((err as Error).message ?? String(err), { cause: err });
}

/** The master seed's text, and the password when a password file gave it. */
export interface SeedSource {
  seedText: string;
  password?: string;
}

/**
 * Reads the master seed as `--signersecret` says (both readings, checks
 * before any prompt) and logs which reading was used, never the secret.
 * Shared by the subcommands and the daemon.
 *
 * @param signerSecret `--signersecret`, `undefined` when not given.
 * @param seedPath `<configdir>/masterseed.json`.
 * @param log Where the reading is logged.
 * @returns The seed text, and the password from a password file.
 */
export async function readSeedAsFlagsSay(
  signerSecret: string | undefined,
  seedPath: string,
  log: Pick<Logger, "info">,
): Promise<SeedSource> {
  if (signerSecret === undefined) {
    return { seedText: await readMasterSeedFile(seedPath) };
  }
  const secret = await readSignerSecretFile(signerSecret);
  if (secret.kind === "seed") {
    log.info("Reading --signersecret as the encrypted master seed", {
      file: signerSecret,
    });
    return { seedText: secret.text };
  }
  log.info("Reading --signersecret as the master password file", {
    file: signerSecret,
    seed: seedPath,
  });
  return {
    seedText: await readMasterSeedFile(seedPath),
    password: secret.password,
  };
}

/**
 * Reads the master seed as the flags say, decrypts it and opens the vault.
 *
 * @param ctx The command context (options, terminal, logger).
 * @returns The open vault.
 * @throws {FatalError} with clef's texts (`failed stat on ...`,
 *   `file (...) has insecure file permissions (...)`,
 *   `failed to decrypt the master seed of clef`, ...).
 */
export async function openVaultFromFlags(ctx: CommandContext): Promise<Vault> {
  const { configdir, signerSecret } = ctx.options;
  const seedPath = join(configdir, "masterseed.json");
  let seedText: string;
  let password: string | undefined;
  try {
    ({ seedText, password } = await readSeedAsFlagsSay(
      signerSecret,
      seedPath,
      ctx.log,
    ));
  } catch (err) {
    throw fatal(err);
  }
  password ??= await getPassPhrase(ctx, MASTER_PASSWORD_HEADING, false);
  let seed: Uint8Array;
  try {
    seed = await decryptMasterSeed(seedText, password, {
      onWarning: (m) => ctx.log.warn(m),
    });
  } catch (err) {
    throw fatal(err);
  }
  try {
    return await openVault(configdir, seed);
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) {
      const path = /mkdir '(.*)'$/s.exec(err.message)?.[1] ?? configdir;
      throw new FatalError(goPathError("mkdir", path, err));
    }
    throw fatal(err);
  } finally {
    seed.fill(0);
  }
}
