/**
 * Shared helpers of the black-box tests: run the real program as users do
 * (`deno task --quiet stave …` from the repo root, secrets piped on stdin,
 * a temporary HOME), make throwaway folders, and prepare fixtures (a master
 * seed with tiny scrypt parameters, the go-ethereum test key).
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { encryptMasterSeed } from "../src/vault/master_seed.ts";
import { decryptMasterSeed } from "../src/vault/master_seed.ts";
import { openVault, type Vault } from "../src/cli/fs_vault.ts";

/** The repository root (cwd of every spawned run). */
export const ROOT: string = fileURLToPath(new URL("../", import.meta.url));

/** go-ethereum `TestImportRaw`'s key and its address (cli.md §4.6). */
export const RAW_KEY_HEX =
  "0102030405060708090a0102030405060708090a0102030405060708090a0102";
/** Checksummed address of {@linkcode RAW_KEY_HEX}. */
export const RAW_KEY_ADDRESS = "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6";

/** The outcome of one run. */
export interface RunResult {
  /** Exit status. */
  code: number;
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr. */
  stderr: string;
}

/** Options for {@linkcode runStave}. */
export interface RunOptions {
  /** Text piped to stdin, then stdin is closed (default: empty). */
  stdin?: string;
  /** HOME of the child (default: a fresh empty folder is NOT made; pass one). */
  home?: string;
  /** Extra environment variables. */
  env?: Record<string, string>;
}

let denoDirPromise: Promise<string> | undefined;

/**
 * The module cache of the running Deno, so children with a temp HOME reuse it.
 *
 * @returns The `DENO_DIR` path.
 */
export function denoDir(): Promise<string> {
  denoDirPromise ??= (async () => {
    const fromEnv = Deno.env.get("DENO_DIR");
    if (fromEnv) return fromEnv;
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["info", "--json"],
      stdout: "piped",
      stderr: "null",
    }).output();
    return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir as string;
  })();
  return denoDirPromise;
}

/**
 * Runs `deno task --quiet stave <args>` from the repo root with a clean
 * environment (HOME, PATH, DENO_DIR only, plus `opts.env`).
 *
 * @param args Program arguments.
 * @param opts stdin text, HOME and extra variables.
 * @returns Exit status, stdout and stderr.
 */
export async function runStave(
  args: string[],
  opts: RunOptions = {},
): Promise<RunResult> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    DENO_DIR: await denoDir(),
    DENO_NO_UPDATE_CHECK: "1",
    HOME: opts.home ?? "/nonexistent-stave-test-home",
    ...opts.env,
  };
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "stave", ...args],
    cwd: ROOT,
    clearEnv: true,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  try {
    await writer.write(new TextEncoder().encode(opts.stdin ?? ""));
  } catch {
    // the child may exit before reading everything
  }
  await writer.close().catch(() => {});
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

/** Lines joined with `\n`, each ending in `\n` (what `printf '%s\n'` pipes). */
export function lines(...answers: string[]): string {
  return answers.map((a) => a + "\n").join("");
}

/** A throwaway folder tree for one test. */
export interface TempDirs {
  /** The root of everything below (removed by `cleanup`). */
  root: string;
  /** A HOME folder (exists, empty). */
  home: string;
  /** A config folder path (does NOT exist yet). */
  configdir: string;
  /** A key folder path (does NOT exist yet). */
  keystore: string;
  /** Removes the tree. */
  cleanup(): Promise<void>;
}

/**
 * Makes a fresh temporary folder tree.
 *
 * @returns The paths.
 */
export async function tempDirs(): Promise<TempDirs> {
  const root = await Deno.makeTempDir({ prefix: "stave-test-" });
  const home = join(root, "home");
  await Deno.mkdir(home);
  return {
    root,
    home,
    configdir: join(root, "config"),
    keystore: join(root, "keystore"),
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
}

/**
 * Writes `<configdir>/masterseed.json` (mode 0400) in-process with tiny
 * scrypt parameters, so tests need not run `init` (which uses real ones).
 *
 * @param configdir The config folder (created 0700 if missing).
 * @param password The master password.
 * @param seed The seed (default: 256 bytes of 0x5a).
 * @returns The seed file path.
 */
export async function writeSeed(
  configdir: string,
  password: string,
  seed: Uint8Array = new Uint8Array(256).fill(0x5a),
): Promise<string> {
  await Deno.mkdir(configdir, { recursive: true, mode: 0o700 });
  const path = join(configdir, "masterseed.json");
  const text = await encryptMasterSeed(seed, password, {
    scryptN: 16,
    scryptP: 1,
  });
  await Deno.writeTextFile(path, text, { mode: 0o400 });
  await Deno.chmod(path, 0o400);
  return path;
}

/**
 * Opens the vault of a config folder in-process (to check what a command
 * stored).
 *
 * @param configdir The config folder.
 * @param password The master password.
 * @returns The vault.
 */
export async function openTestVault(
  configdir: string,
  password: string,
): Promise<Vault> {
  const text = await Deno.readTextFile(join(configdir, "masterseed.json"));
  const seed = await decryptMasterSeed(text, password);
  try {
    return await openVault(configdir, seed);
  } finally {
    seed.fill(0);
  }
}

/**
 * The permission bits of a path.
 *
 * @param path File or folder.
 * @returns `mode & 0o777`.
 */
export async function modeOf(path: string): Promise<number> {
  return ((await Deno.stat(path)).mode ?? 0) & 0o777;
}

/**
 * Every regular file below a folder.
 *
 * @param dir The folder.
 * @returns Absolute paths.
 */
export async function filesBelow(dir: string): Promise<string[]> {
  const out: string[] = [];
  for await (const e of Deno.readDir(dir)) {
    const p = join(dir, e.name);
    if (e.isDirectory) out.push(...await filesBelow(p));
    else if (e.isFile) out.push(p);
  }
  return out;
}

/**
 * The key files of a key folder.
 *
 * @param keystore The key folder.
 * @returns File names starting with `UTC--`.
 */
export async function keyFiles(keystore: string): Promise<string[]> {
  const names: string[] = [];
  for await (const e of Deno.readDir(keystore)) {
    if (e.name.startsWith("UTC--")) names.push(e.name);
  }
  return names.sort();
}

/** The boot warning block plus prompt as printed on stdout. */
export const BOOT_WARNING_OUTPUT = `
WARNING!

stave is an account management tool. It may, like any software, contain bugs.

Please take care to
- backup your keystore files,
- verify that the keystore(s) can be opened with your password.

stave is distributed in the hope that it will be useful, but WITHOUT ANY WARRANTY;
without even the implied warranty of MERCHANTABILITY or FITNESS FOR A PARTICULAR
PURPOSE. See the GNU General Public License for more details.

Enter 'ok' to proceed:
> `;

/** Removes geth log lines (`LVL [MM-DD|HH:MM:SS.mmm] ...`) from output. */
export function withoutLogLines(text: string): string {
  return text.split("\n").filter((l) =>
    !/^(INFO |WARN |ERROR|DEBUG|TRACE|CRIT )\[\d\d-\d\d\|/.test(l)
  ).join("\n");
}
