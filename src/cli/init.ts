/**
 * `stave init` (spec cli.md §4.1): create `<configdir>` (0700), ask for a
 * master password (policy-checked, repeated), encrypt 256 random bytes
 * and write `<configdir>/masterseed.json` (0400, never over an existing
 * file).
 *
 * @module
 */
import { join } from "node:path";
import {
  LIGHT_SCRYPT_N,
  LIGHT_SCRYPT_P,
  STANDARD_SCRYPT_N,
  STANDARD_SCRYPT_P,
} from "../keystore/kdf.ts";
import { encryptMasterSeed, MASTER_SEED_SIZE } from "../vault/master_seed.ts";
import { checkPassword } from "../vault/password_policy.ts";
import {
  bootWarning,
  type CommandContext,
  getPassPhrase,
  goPathError,
} from "./_context.ts";
import { ensurePrivateDir, writeMasterSeedFile } from "./fs_vault.ts";

/** The heading of the master password prompt. */
export const INIT_HEADING =
  "The master seed of clef will be locked with a password.\nPlease specify a password. Do not forget this password!";

/** Printed after `A master seed has been generated into <path>`. */
export const INIT_NOTICE = `
This is required to be able to store credentials, such as:
* Passwords for keystores (used by rule engine)
* Storage for JavaScript auto-signing rules
* Hash of JavaScript rule-file

You should treat 'masterseed.json' with utmost secrecy and make a backup of it!
* The password is necessary but not enough, you need to back up the master seed too!
* The master seed does not contain your accounts, those need to be backed up separately!

`;

async function makeConfigDir(dir: string): Promise<void> {
  try {
    await ensurePrivateDir(dir);
  } catch (err) {
    throw new Error(goPathError("mkdir", dir, err), { cause: err });
  }
}

async function refuseExisting(path: string): Promise<void> {
  try {
    await Deno.stat(path);
  } catch {
    return;
  }
  throw new Error(`master key ${path} already exists, will not overwrite`);
}

/**
 * Runs `init`.
 *
 * @param ctx The command context.
 * @throws {Error} `master key <path> already exists, will not overwrite`,
 *   Go's mkdir error, or a {@linkcode FatalError} from the prompt.
 */
export async function runInit(ctx: CommandContext): Promise<void> {
  await bootWarning(ctx);
  const dir = ctx.options.configdir;
  await makeConfigDir(dir);
  const location = join(dir, "masterseed.json");
  await refuseExisting(location);
  const seed = crypto.getRandomValues(new Uint8Array(MASTER_SEED_SIZE));
  try {
    let password: string;
    for (;;) {
      password = await getPassPhrase(ctx, INIT_HEADING, true);
      try {
        checkPassword(password);
      } catch (err) {
        ctx.term.write(`invalid password: ${(err as Error).message}\n`);
        continue;
      }
      ctx.term.write("\n");
      break;
    }
    const light = ctx.options.lightKdf;
    const text = await encryptMasterSeed(seed, password, {
      scryptN: light ? LIGHT_SCRYPT_N : STANDARD_SCRYPT_N,
      scryptP: light ? LIGHT_SCRYPT_P : STANDARD_SCRYPT_P,
    });
    await makeConfigDir(dir);
    await refuseExisting(location);
    await writeMasterSeedFile(location, text);
  } finally {
    seed.fill(0);
  }
  ctx.term.write(`A master seed has been generated into ${location}\n`);
  ctx.term.write(INIT_NOTICE);
}
