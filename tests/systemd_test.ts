/**
 * contrib/systemd/stave.service followed literally: the install steps in
 * its header run as root with their paths moved into a temporary root and a
 * real unprivileged user made for the test (`useradd`, `runuser`); then the
 * unit's `ExecStart=` line runs as that user, with the master password
 * handed over as systemd hands a credential, and a Clique header is sealed
 * over the socket. Every vault and key file must be owned by the service
 * user. `systemd-analyze verify` checks the unit where it is installed.
 *
 * Needs root (CI runs as root); elsewhere the test says why it is skipped.
 *
 * @module
 */
import { ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  cliqueHeader,
  cliqueRlp,
  IpcClient,
  recoverCliqueSigner,
  sleep,
  socketAnswers,
} from "./_daemon.ts";
import { denoDir, filesBelow, ROOT } from "./_util.ts";

const UNIT = join(ROOT, "contrib", "systemd", "stave.service");

/** The shell lines of the unit header's "Install" block. */
function installSteps(unit: string): string[] {
  const lines = unit.split("\n");
  const start = lines.findIndex((l) => l.startsWith("# Install, as root"));
  const steps: string[] = [];
  for (let i = start + 1; i < lines.length; i++) {
    const l = lines[i];
    if (l.startsWith("#   ")) steps.push(l.slice(4));
    else if (steps.length > 0) break;
  }
  return steps;
}

/** The `ExecStart=` command line with its continuations joined. */
function execStart(unit: string): string {
  const m = /^ExecStart=((?:.*\\\n)*.*)$/m.exec(unit);
  if (m === null) throw new Error("unit has no ExecStart=");
  return m[1].replaceAll("\\\n", " ").replace(/\s+/g, " ").trim();
}

function which(cmd: string): boolean {
  try {
    return new Deno.Command("sh", {
      args: ["-c", `command -v ${cmd}`],
      stdout: "null",
      stderr: "null",
    }).outputSync().success;
  } catch {
    return false;
  }
}

const isRoot = Deno.uid() === 0;
const hasTools = which("useradd") && which("runuser") && which("userdel");

async function sh(
  script: string,
  env: Record<string, string>,
  cwd: string,
): Promise<{ code: number; out: string }> {
  const out = await new Deno.Command("bash", {
    args: ["-euo", "pipefail", "-c", script],
    cwd,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    out: dec.decode(out.stdout) + dec.decode(out.stderr),
  };
}

Deno.test({
  name:
    "systemd: the unit's install steps as root, then its ExecStart as the service user, seal a Clique header",
  ignore: !isRoot || !hasTools,
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const unitText = await Deno.readTextFile(UNIT);
    const root = await Deno.makeTempDir({ prefix: "stave-systemd-" });
    // The service user must be able to reach the installed program.
    await Deno.chmod(root, 0o755);
    const user = `stave${Date.now().toString(36).slice(-6)}`;
    const prefix = join(root, "usr/local");
    const state = join(root, "var/lib/stave");
    const etc = join(root, "etc/stave");
    const units = join(root, "etc/systemd/system");
    const move = (s: string) =>
      s.replaceAll("/usr/local", prefix)
        .replaceAll("/var/lib/stave", state)
        .replaceAll("/etc/stave", etc)
        .replaceAll("/etc/systemd/system", units)
        .replaceAll("ethereum", user);
    const steps = installSteps(unitText);
    ok(steps.length >= 10, `install steps found: ${steps.length}`);
    const systemctl = steps.findIndex((s) => s.startsWith("systemctl "));
    ok(systemctl > 0, "the steps end with systemctl");
    try {
      await Deno.mkdir(join(root, "var/lib"), { recursive: true });
      await Deno.mkdir(join(root, "etc"), { recursive: true });
      await Deno.mkdir(units, { recursive: true });
      const script = steps.slice(0, systemctl).map(move).join("\n");
      const setup = await sh(script, {
        PATH: Deno.env.get("PATH") ?? "/usr/sbin:/usr/bin:/sbin:/bin",
        HOME: Deno.env.get("HOME") ?? root,
        DENO_DIR: await denoDir(),
        MASTER: "the service's master password",
        KEYPW: "the sealer key password",
        ...(Deno.env.get("SSL_CERT_FILE")
          ? { SSL_CERT_FILE: Deno.env.get("SSL_CERT_FILE")! }
          : {}),
      }, ROOT);
      strictEqual(setup.code, 0, `install steps failed:\n${setup.out}`);

      // Every file the setup made in the state folder is the user's.
      const uid = Number(
        (await sh(`id -u ${user}`, { PATH: "/usr/bin:/bin" }, root)).out
          .trim(),
      );
      const files = await filesBelow(state);
      ok(files.some((f) => f.endsWith("masterseed.json")), files.join(" "));
      ok(files.some((f) => f.includes("UTC--")), files.join(" "));
      for (const f of [state, ...files]) {
        const st = await Deno.lstat(f);
        strictEqual(st.uid, uid, `${f} is owned by uid ${st.uid}`);
        strictEqual((st.mode! & 0o077) === 0, true, `${f} mode`);
      }

      // systemd hands the service a private copy of the credential.
      const creds = join(root, "run/credentials/stave.service");
      await Deno.mkdir(creds, { recursive: true });
      await Deno.copyFile(
        join(etc, "master-password"),
        join(creds, "master-password"),
      );
      await sh(
        `chown -R ${user} ${
          join(root, "run/credentials")
        } && chmod 0500 ${creds} && chmod 0400 ${creds}/master-password`,
        { PATH: "/usr/sbin:/usr/bin:/sbin:/bin" },
        root,
      );
      const cmd = move(execStart(unitText)).replaceAll(
        "${CREDENTIALS_DIRECTORY}",
        creds,
      );
      const daemon = new Deno.Command("/usr/sbin/runuser", {
        args: ["-u", user, "--", ...cmd.split(" ")],
        cwd: state, // WorkingDirectory=
        clearEnv: true,
        env: {
          PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
          CREDENTIALS_DIRECTORY: creds,
        },
        stdin: "null", // StandardInput=null
        stdout: "piped",
        stderr: "piped",
      }).spawn();
      const output = daemon.output();
      let exited = false;
      output.then(() => exited = true);
      const socket = join(state, "clef.ipc");
      const deadline = Date.now() + 120_000; // catches a hang only
      while (!(await socketAnswers(socket))) {
        if (exited || Date.now() > deadline) {
          const o = await output;
          throw new Error(
            `daemon did not listen (exit ${o.code}):\n${
              new TextDecoder().decode(o.stderr)
            }`,
          );
        }
        await sleep(100);
      }
      let log = "";
      try {
        const st = await Deno.lstat(socket);
        strictEqual(st.uid, uid, "socket owner");
        strictEqual(st.mode! & 0o777, 0o600, "socket mode");
        const c = await IpcClient.connect(socket);
        try {
          const [address] = await c.call<string[]>("account_list");
          for (let n = 1; n <= 3; n++) {
            const h = cliqueHeader(n);
            const seal = await c.call<string>("account_signData", [
              "application/x-clique-header",
              address,
              cliqueRlp(h),
            ]);
            strictEqual(recoverCliqueSigner(h, seal).toLowerCase(), address);
          }
        } finally {
          c.close();
        }
      } finally {
        await sh(`kill -TERM $(pgrep -u ${user} -f main.ts) || true`, {
          PATH: "/usr/bin:/bin",
        }, root);
        const o = await output;
        log = new TextDecoder().decode(o.stderr);
        strictEqual(o.code, 0, log);
      }
      ok(log.includes("IPC endpoint opened"), log);
      console.log(`--- the service's log ---\n${log.trimEnd()}`);
      for (const f of await filesBelow(state)) {
        strictEqual((await Deno.lstat(f)).uid, uid, f);
      }

      // The unit itself, where systemd-analyze is installed.
      if (which("systemd-analyze")) {
        // verify resolves ExecStart=: the unit as installed under the
        // temporary root.
        const unitPath = join(units, "stave.service");
        await Deno.writeTextFile(unitPath, move(unitText));
        const verify = await sh(
          `systemd-analyze verify ${unitPath}`,
          { PATH: "/usr/bin:/bin:/usr/sbin:/sbin" },
          root,
        );
        strictEqual(verify.code, 0, verify.out);
        strictEqual(
          verify.out.trim(),
          "",
          `systemd-analyze verify warns:\n${verify.out}`,
        );
      }
    } finally {
      await sh(`userdel ${user} 2>/dev/null || true`, {
        PATH: "/usr/sbin:/usr/bin:/sbin:/bin",
      }, root);
      await Deno.remove(root, { recursive: true });
    }
  },
});
