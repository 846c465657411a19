/**
 * The operator's path from the README: `make install` puts a `stave`
 * command on PATH, the README's Quick start block runs verbatim with it in a
 * fresh HOME (ending in a daemon that seals a Clique header over its
 * socket), and the Clique guide's commands with their relative paths
 * (`./ddir/keystore`, `./clef`) land in the folder they were typed in, not in
 * the checkout.
 *
 * @module
 */
import { strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  cliqueHeader,
  cliqueRlp,
  IpcClient,
  recoverCliqueSigner,
  sleep,
  socketAnswers,
} from "./_daemon.ts";
import { denoDir, lines, ROOT } from "./_util.ts";

const GUIDE_FLAGS = [
  "--keystore",
  "./ddir/keystore",
  "--configdir",
  "./clef",
  "--chainid",
  "15",
  "--suppress-bootwarn",
];

/** The first ```sh block after a README heading. */
async function readmeBlock(heading: string): Promise<string> {
  const readme = await Deno.readTextFile(join(ROOT, "README.md"));
  const at = readme.indexOf(`\n${heading}\n`);
  if (at < 0) throw new Error(`README has no "${heading}"`);
  const open = readme.indexOf("\n```sh\n", at);
  const close = readme.indexOf("\n```\n", open + 1);
  return readme.slice(open + "\n```sh\n".length, close + 1);
}

async function gitStatus(): Promise<string> {
  const out = await new Deno.Command("git", {
    args: ["status", "--porcelain", "--ignored"],
    cwd: ROOT,
    stdout: "piped",
  }).output();
  return new TextDecoder().decode(out.stdout);
}

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

async function run(
  cmd: string,
  args: string[],
  opts: {
    cwd: string;
    env: Record<string, string>;
    stdin?: string;
    clearEnv?: boolean;
  },
): Promise<Run> {
  const child = new Deno.Command(cmd, {
    args,
    cwd: opts.cwd,
    clearEnv: opts.clearEnv ?? true,
    env: opts.env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(opts.stdin ?? "")).catch(() => {});
  await w.close().catch(() => {});
  const out = await child.output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

Deno.test("make install, then the README Quick start and the Clique guide's relative paths", async (t) => {
  const root = await Deno.makeTempDir({ prefix: "stave-install-" });
  const prefix = join(root, "prefix");
  const before = await gitStatus();
  try {
    const installed = await run("make", [
      "--no-print-directory",
      "install",
      `PREFIX=${prefix}`,
    ], {
      // The operator's own environment (proxy and CA settings included).
      cwd: ROOT,
      clearEnv: false,
      env: { DENO_DIR: await denoDir(), DENO_NO_UPDATE_CHECK: "1" },
    });
    strictEqual(installed.code, 0, installed.stderr + installed.stdout);
    const stave = join(prefix, "bin", "stave");
    const env = (home: string) => ({
      // No Deno on PATH and no DENO_DIR: the command brings its own.
      PATH: `${join(prefix, "bin")}:/usr/bin:/bin`,
      HOME: home,
    });

    await t.step("stave --version runs from any folder", async () => {
      const out = await run(stave, ["--version"], {
        cwd: root,
        env: env(root),
      });
      strictEqual(out.code, 0, out.stderr);
      strictEqual(/^stave version \S+/m.test(out.stdout), true, out.stdout);
    });

    await t.step(
      "the Quick start block, pasted into sh, seals a Clique header",
      async () => {
        const home = join(root, "home");
        await Deno.mkdir(home);
        const block = await readmeBlock(
          "## Quick start: a Clique sealer's secrets",
        );
        // setsid: the block's last command is the daemon; the whole
        // session is stopped at the end.
        const child = new Deno.Command("setsid", {
          args: ["sh", "-ec", block],
          cwd: home,
          clearEnv: true,
          env: env(home),
          stdin: "null",
          stdout: "piped",
          stderr: "piped",
        }).spawn();
        const output = child.output();
        const socket = join(home, ".clef", "clef.ipc");
        const deadline = Date.now() + 120_000; // catches a hang only
        let exited = false;
        output.then(() => exited = true);
        while (!(await socketAnswers(socket))) {
          if (exited || Date.now() > deadline) {
            const out = await output;
            const dec = new TextDecoder();
            throw new Error(
              `no daemon socket (exit ${out.code}):\n${
                dec.decode(out.stdout)
              }\n${dec.decode(out.stderr)}`,
            );
          }
          await sleep(100);
        }
        try {
          const c = await IpcClient.connect(socket);
          try {
            const [address] = await c.call<string[]>("account_list");
            const h = cliqueHeader(1);
            const seal = await c.call<string>("account_signData", [
              "application/x-clique-header",
              address,
              cliqueRlp(h),
            ]);
            strictEqual(recoverCliqueSigner(h, seal).toLowerCase(), address);
          } finally {
            c.close();
          }
          const mode =
            (await Deno.stat(join(home, "sealer", "master-password")))
              .mode! & 0o777;
          strictEqual(mode, 0o600);
        } finally {
          try {
            Deno.kill(-child.pid, "SIGTERM");
          } catch { /* already gone */ }
          // sh itself dies of the SIGTERM; the daemon shuts down cleanly.
          const err = new TextDecoder().decode((await output).stderr);
          strictEqual(err.includes("IPC endpoint closed"), true, err);
          strictEqual(await socketAnswers(socket), false);
        }
        // The audit log's default is relative: it is where the operator was.
        await Deno.stat(join(home, "sealer", "audit.log"));
      },
    );

    await t.step(
      "the Clique guide's commands keep ./clef and ./ddir in the folder typed in",
      async () => {
        const work = join(root, "guide");
        await Deno.mkdir(work);
        const master = "guide master password";
        const keypw = "testtesttest";
        const opts = (stdin: string) => ({ cwd: work, env: env(work), stdin });
        const init = await run(
          stave,
          [...GUIDE_FLAGS, "init"],
          opts(lines(master, master)),
        );
        strictEqual(init.code, 0, init.stderr);
        const made = await run(
          stave,
          [...GUIDE_FLAGS, "newaccount"],
          opts(lines(keypw)),
        );
        strictEqual(made.code, 0, made.stderr);
        const address = /0x[0-9a-fA-F]{40}/.exec(made.stdout + made.stderr)
          ?.[0];
        strictEqual(typeof address, "string", made.stdout + made.stderr);
        const setpw = await run(
          stave,
          [...GUIDE_FLAGS, "setpw", address!],
          opts(lines(keypw, keypw, master)),
        );
        strictEqual(setpw.code, 0, setpw.stderr);
        await Deno.copyFile(
          join(ROOT, "rules", "clique_only.js"),
          join(work, "rules.js"),
        );
        const attest = await run(
          stave,
          [...GUIDE_FLAGS, "attest", "./rules.js"],
          opts(lines(master)),
        );
        strictEqual(attest.code, 0, attest.stderr);
        for (const p of ["clef/masterseed.json", "ddir/keystore"]) {
          await Deno.stat(join(work, p)); // throws when missing
        }
        strictEqual(
          [...Deno.readDirSync(join(work, "ddir", "keystore"))].length,
          1,
        );
      },
    );

    strictEqual(await gitStatus(), before, "the checkout was not touched");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});
