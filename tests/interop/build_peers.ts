/**
 * `make interop` / `deno task interop`: builds the real peers pinned in
 * `tests/interop/versions.json` (geth, Clef) from the Go module proxy into
 * `.tools/interop/<name>-<version>/` with `go install <package>@<version>`,
 * only when the binary is missing or is not the pinned build, then runs the
 * interop tests (`deno test --allow-all tests/interop/`).
 *
 * A build is "the pinned build" when its stamp file (`build.json`: package,
 * version, ldflags) matches the pin and the binary reports the pinned version
 * (`geth version`, `clef --version`).
 *
 * Usage: `deno run --allow-all tests/interop/build_peers.ts [--build-only]
 * [deno test arguments...]`.
 *
 * @module
 */
import { join } from "node:path";
import { ROOT } from "../_util.ts";
import { peerDir, type PeerName, PEERS } from "./_peers.ts";

const STAMP = "build.json";

/** The arguments that make a binary print its version. */
const VERSION_ARGS: Record<PeerName, string[]> = {
  geth: ["version"],
  clef: ["--version"],
};

async function output(
  cmd: string,
  args: string[],
): Promise<{ code: number; text: string }> {
  const out = await new Deno.Command(cmd, {
    args,
    stdout: "piped",
    stderr: "piped",
    stdin: "null",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    text: dec.decode(out.stdout) + dec.decode(out.stderr),
  };
}

async function goVersion(): Promise<string | null> {
  try {
    const r = await output("go", ["version"]);
    return r.code === 0 ? r.text.trim() : null;
  } catch (e) {
    if (e instanceof Deno.errors.NotFound) return null;
    throw e;
  }
}

function stampOf(name: PeerName): string {
  const p = PEERS[name];
  return JSON.stringify({
    package: p.package,
    version: p.version,
    ldflags: p.ldflags,
  });
}

/** Why the installed binary is not the pinned one, or null when it is. */
async function staleReason(name: PeerName): Promise<string | null> {
  const dir = peerDir(name);
  const bin = join(dir, name);
  let stamp: string;
  try {
    stamp = (await Deno.readTextFile(join(dir, STAMP))).trim();
  } catch {
    return "not built yet";
  }
  if (stamp !== stampOf(name)) return `built from ${stamp}`;
  try {
    const r = await output(bin, VERSION_ARGS[name]);
    const want = PEERS[name].version.replace(/^v/, "");
    if (r.code !== 0 || !r.text.includes(want)) {
      return `the binary reports ${JSON.stringify(r.text.trim())}`;
    }
  } catch (e) {
    return `the binary does not run (${(e as Error).message})`;
  }
  return null;
}

async function build(name: PeerName): Promise<void> {
  const p = PEERS[name];
  const dir = peerDir(name);
  await Deno.mkdir(dir, { recursive: true });
  await Deno.remove(join(dir, STAMP)).catch(() => {});
  const args = ["install"];
  if (p.ldflags) args.push(`-ldflags=${p.ldflags}`);
  args.push(`${p.package}@${p.version}`);
  console.log(`interop: GOBIN=${dir} go ${args.join(" ")}`);
  const st = await new Deno.Command("go", {
    args,
    env: { GOBIN: dir },
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  if (st.code !== 0) {
    throw new Error(`building ${name} ${p.version} failed (exit ${st.code})`);
  }
  await Deno.writeTextFile(join(dir, STAMP), stampOf(name) + "\n");
  const why = await staleReason(name);
  if (why !== null) throw new Error(`${name} was built but ${why}`);
}

async function main(argv: string[]): Promise<number> {
  const names = Object.keys(PEERS) as PeerName[];
  console.log(
    "interop peers: " +
      names.map((n) =>
        `${n} ${PEERS[n].version} (${PEERS[n].package}${
          PEERS[n].ldflags ? ", -ldflags=" + PEERS[n].ldflags : ""
        })`
      ).join(", "),
  );
  const go = await goVersion();
  if (go === null) {
    console.error(
      "make interop needs Go ('go' on PATH) and the Go module proxy to build geth and Clef",
    );
    return 1;
  }
  console.log(`interop: ${go}`);
  for (const n of names) {
    const why = await staleReason(n);
    if (why === null) {
      console.log(`interop: ${n} ${PEERS[n].version} up to date`);
      continue;
    }
    console.log(`interop: building ${n} ${PEERS[n].version}: ${why}`);
    await build(n);
  }
  const rest = argv.filter((a) => a !== "--build-only");
  if (rest.length !== argv.length) return 0;
  const st = await new Deno.Command(Deno.execPath(), {
    args: ["test", "--allow-all", ...rest, "tests/interop/"],
    cwd: ROOT,
    stdin: "null",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn().status;
  return st.code;
}

if (import.meta.main) {
  try {
    Deno.exit(await main(Deno.args));
  } catch (e) {
    console.error(`interop: ${(e as Error).message}`);
    Deno.exit(1);
  }
}
