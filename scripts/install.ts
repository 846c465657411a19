/**
 * `make install` (`deno task install --prefix DIR`): puts a `stave` command
 * on PATH that runs the pinned Deno with exactly the `stave` task's flags,
 * from any working directory, so relative paths mean what the operator typed.
 *
 * Layout (PREFIX defaults to `~/.local`; `/usr/local` for a system install):
 *
 * - `PREFIX/lib/stave/`: `main.ts`, `src/` (without tests), `rules/`,
 *   `contrib/`, `deno.json`, `deno.lock`, a copy of the running `deno`
 *   executable, and `cache/`, a module cache (`DENO_DIR`) filled at install
 *   time, so the command never fetches anything when it runs (`--cached-only`)
 *   and works for a service user that cannot write there.
 * - `PREFIX/bin/stave`: a small `sh` script that `exec`s that Deno.
 *
 * The previous install is replaced whole: the new tree is built beside it
 * and renamed into place, so a failed install leaves the old one working.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

/** Modules that are loaded by URL at run time, not found by static imports. */
const RUNTIME_ENTRIES = [
  "main.ts",
  "src/rules/worker.ts",
  "src/api/unlock_worker.ts",
  "src/signing/blob.ts",
];

function usage(): never {
  console.error("usage: deno task install --prefix DIR");
  Deno.exit(2);
}

function parseArgs(args: string[]): string {
  let prefix: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const a = args[i];
    if (a === "--prefix" && i + 1 < args.length) prefix = args[++i];
    else if (a.startsWith("--prefix=")) prefix = a.slice("--prefix=".length);
    else usage();
  }
  if (prefix === undefined || prefix === "") usage();
  return resolve(prefix);
}

/** The `stave` task's command, split into Deno's flags and the entry file. */
function staveTaskFlags(): string[] {
  const config = JSON.parse(Deno.readTextFileSync(join(ROOT, "deno.json")));
  const task: unknown = config.tasks?.stave;
  if (typeof task !== "string") throw new Error("deno.json has no stave task");
  const words = task.trim().split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "run" || words.at(-1) !== "main.ts") {
    throw new Error(`unexpected stave task: ${task}`);
  }
  for (const w of words) {
    if (/['"$`\\]/.test(w)) throw new Error(`unquotable stave task: ${task}`);
  }
  return words.slice(2, -1);
}

function copyTree(from: string, to: string, keep: (name: string) => boolean) {
  Deno.mkdirSync(to, { recursive: true });
  for (const entry of Deno.readDirSync(from)) {
    const src = join(from, entry.name);
    const dst = join(to, entry.name);
    if (entry.isDirectory) copyTree(src, dst, keep);
    else if (entry.isFile && keep(entry.name)) Deno.copyFileSync(src, dst);
  }
}

function shellQuote(s: string): string {
  return `'${s.replaceAll("'", `'\\''`)}'`;
}

function gitDescribe(): string {
  try {
    const out = new Deno.Command("git", {
      args: ["-C", ROOT, "describe", "--always", "--dirty"],
      stdout: "piped",
      stderr: "null",
    }).outputSync();
    return out.success ? new TextDecoder().decode(out.stdout).trim() : "";
  } catch {
    return "";
  }
}

/** The wrapper script: the install's Deno, its cache, the task's flags. */
function wrapperScript(lib: string, flags: string[]): string {
  const q = shellQuote(lib);
  const version = gitDescribe();
  return `#!/bin/sh
# stave, installed by \`make install\`${version ? ` from ${version}` : ""}.
# Runs the pinned Deno with the stave task's flags (deno.json); the module
# cache is read-only and complete, so nothing is fetched at run time.
lib=${q}
DENO_DIR="$lib/cache"
DENO_NO_UPDATE_CHECK=1
DENO_NO_PROMPT=1
export DENO_DIR DENO_NO_UPDATE_CHECK DENO_NO_PROMPT
exec "$lib/deno" run --cached-only --frozen --config "$lib/deno.json" \\
  ${flags.join(" ")} \\
  "$lib/main.ts" "$@"
`;
}

async function run(cmd: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (!out.success) {
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code})`);
  }
}

async function main() {
  const prefix = parseArgs(Deno.args);
  const flags = staveTaskFlags();
  const libDir = join(prefix, "lib");
  const lib = join(libDir, "stave");
  const binDir = join(prefix, "bin");
  const next = `${lib}.new-${Deno.pid}`;
  Deno.mkdirSync(libDir, { recursive: true });
  Deno.mkdirSync(binDir, { recursive: true });
  try {
    const notTest = (n: string) => !n.endsWith("_test.ts");
    copyTree(join(ROOT, "src"), join(next, "src"), notTest);
    copyTree(join(ROOT, "rules"), join(next, "rules"), () => true);
    copyTree(join(ROOT, "contrib"), join(next, "contrib"), () => true);
    for (const f of ["main.ts", "deno.json", "deno.lock", "LICENSE"]) {
      try {
        Deno.copyFileSync(join(ROOT, f), join(next, f));
      } catch (err) {
        if (!(err instanceof Deno.errors.NotFound) || f !== "LICENSE") {
          throw err;
        }
      }
    }
    const deno = join(next, "deno");
    Deno.copyFileSync(Deno.execPath(), deno);
    Deno.chmodSync(deno, 0o755);
    // Fill the module cache with what the installed tree loads, checked
    // against the lock file.
    await run(deno, [
      "cache",
      "--quiet",
      "--frozen",
      "--config",
      join(next, "deno.json"),
      ...RUNTIME_ENTRIES.map((e) => join(next, e)),
    ], {
      DENO_DIR: join(next, "cache"),
      DENO_NO_UPDATE_CHECK: "1",
      // Trust the system's CAs too (a TLS-inspecting proxy, as npm does
      // with the system store), unless the operator chose a store.
      DENO_TLS_CA_STORE: Deno.env.get("DENO_TLS_CA_STORE") ?? "mozilla,system",
    });
    // The cache is read by whoever runs stave (a service user too).
    await run("chmod", ["-R", "a+rX,go-w", next], {});
    Deno.writeTextFileSync(join(next, "stave"), wrapperScript(lib, flags));
    Deno.chmodSync(join(next, "stave"), 0o755);
    // Swap the tree in, then the command (rename is atomic in one folder).
    const old = `${lib}.old-${Deno.pid}`;
    let hadOld = false;
    try {
      Deno.renameSync(lib, old);
      hadOld = true;
    } catch (err) {
      if (!(err instanceof Deno.errors.NotFound)) throw err;
    }
    Deno.renameSync(next, lib);
    const binTmp = join(binDir, `.stave.new-${Deno.pid}`);
    Deno.copyFileSync(join(lib, "stave"), binTmp);
    Deno.chmodSync(binTmp, 0o755);
    Deno.renameSync(binTmp, join(binDir, "stave"));
    if (hadOld) Deno.removeSync(old, { recursive: true });
  } catch (err) {
    try {
      Deno.removeSync(next, { recursive: true });
    } catch { /* nothing to clean */ }
    throw err;
  }
  const bin = join(binDir, "stave");
  console.log(`installed ${bin} (runs ${join(lib, "main.ts")})`);
  const path = (Deno.env.get("PATH") ?? "").split(":");
  if (!path.includes(binDir) && !path.includes(dirname(bin))) {
    console.log(`note: ${binDir} is not on PATH; add it, or run ${bin}`);
  }
}

if (import.meta.main) {
  try {
    await main();
  } catch (err) {
    console.error(
      `install failed: ${err instanceof Error ? err.message : err}`,
    );
    Deno.exit(1);
  }
}
