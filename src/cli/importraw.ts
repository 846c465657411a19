/**
 * `stave importraw <keyfile>` (spec cli.md §4.6): import a hex private key
 * file (geth `crypto.LoadECDSA` rules) into the key folder, encrypted with
 * a password asked twice through the CLI UI.
 *
 * @module
 */
import { toChecksumAddress } from "../address.ts";
import { StaveError } from "../errors.ts";
import { parseRawKeyFile } from "../keystore/raw_key.ts";
import { UiUnavailableError } from "../ui/guarded_ui.ts";
import type { CliUi } from "../ui/cli_ui.ts";
import { checkPassword } from "../vault/password_policy.ts";
import { bootWarning, type CommandContext, goPathError } from "./_context.ts";
import { commandLineUi, openKeyStore } from "./_keystore.ts";

/** Largest raw key file read (64 hex characters and a line end). */
const MAX_RAW_KEY_FILE = 1 << 12;

async function loadKeyFile(path: string): Promise<Uint8Array> {
  let bytes: Uint8Array;
  try {
    const f = await Deno.open(path, { read: true });
    try {
      const buf = new Uint8Array(MAX_RAW_KEY_FILE);
      let n = 0;
      while (n < buf.length) {
        const r = await f.read(buf.subarray(n));
        if (r === null) break;
        n += r;
      }
      bytes = buf.slice(0, n);
      buf.fill(0);
    } catch (err) {
      throw new StaveError(goPathError("read", path, err), { cause: err });
    } finally {
      f.close();
    }
  } catch (err) {
    if (err instanceof StaveError) throw err;
    throw new StaveError(goPathError("open", path, err), { cause: err });
  }
  try {
    return parseRawKeyFile(bytes);
  } finally {
    bytes.fill(0);
  }
}

async function readPassword(ui: CliUi, prompt: string): Promise<string> {
  try {
    return (await ui.onInputRequired({
      title: "Password",
      prompt,
      isPassword: true,
    })).text;
  } catch (err) {
    if (err instanceof UiUnavailableError) {
      throw new StaveError(`Failed to read password: ${err.message}`);
    }
    throw err;
  }
}

/**
 * Runs `importraw`.
 *
 * @param ctx The command context.
 * @throws {Error} `<keyfile> must be given as first argument` (before the
 *   boot warning), key file errors, `Passwords do not match`,
 *   `password requirements not met: <reason>`, `account already exists`,
 *   `password based accounts not supported`.
 */
export async function runImportRaw(ctx: CommandContext): Promise<void> {
  if (ctx.args.length !== 1) {
    throw new Error("<keyfile> must be given as first argument");
  }
  await bootWarning(ctx);
  const ks = openKeyStore(ctx);
  const ui = commandLineUi(ctx);
  const key = await loadKeyFile(ctx.args[0]);
  try {
    const first = await readPassword(
      ui,
      "Please enter a password for the imported account",
    );
    const second = await readPassword(
      ui,
      "Please repeat the password you just entered",
    );
    if (first !== second) throw new Error("Passwords do not match");
    try {
      checkPassword(first);
    } catch (err) {
      throw new StaveError(
        `password requirements not met: ${(err as Error).message}`,
      );
    }
    const acc = await ks.importKey(key, first);
    ui.showInfo(`Key imported:
  Address ${toChecksumAddress(acc.address)}
  Keystore file: ${acc.path}

The key is now encrypted; losing the password will result in permanently losing
access to the key and all associated funds!

Make sure to backup keystore and passwords in a safe location.`);
  } finally {
    key.fill(0);
  }
}
