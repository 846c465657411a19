/**
 * `make demo`: the offline part of the Clique set-up, run for real in a
 * throwaway folder. Each step prints the command line and its output:
 *
 * 1. `stave init`        – master seed (master password piped twice)
 * 2. `stave newaccount`  – the sealer key (account password piped)
 * 3. `stave setpw`       – store the account password in the vault
 * 4. write a Clique-only rules file
 * 5. `stave attest`      – store the rules file's sha256 (master password
 *                          from a password file via `--signersecret`)
 * 6. `stave list-accounts`
 *
 * Secrets are random per run and never printed; `--lightkdf` keeps the
 * demo fast (drop it for real keys). The folder is removed at the end.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256 } from "@noble/hashes/sha2.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));

function randomPassword(): string {
  const b = crypto.getRandomValues(new Uint8Array(12));
  return "demo-" +
    Array.from(b, (x) => x.toString(16).padStart(2, "0")).join("");
}

async function denoDir(): Promise<string> {
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return fromEnv;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(new TextDecoder().decode(out.stdout)).denoDir;
}

function indent(text: string): string {
  return text.replace(/\n$/, "").split("\n").map((l) => "    " + l).join("\n");
}

const dir = await Deno.makeTempDir({ prefix: "stave-demo-" });
const configdir = join(dir, "clef");
const keystore = join(dir, "keystore");
const env: Record<string, string> = {
  HOME: dir,
  PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  DENO_DIR: await denoDir(),
  DENO_NO_UPDATE_CHECK: "1",
};
const master = randomPassword();
const accountPassword = randomPassword();

/** Runs one step; prints it; throws on a non-zero exit. */
async function step(
  title: string,
  args: string[],
  stdin: string[],
  stdinNote: string,
): Promise<string> {
  console.log(`\n=== ${title}`);
  const shown = args.map((a) => a.replaceAll(dir, "$DEMO")).join(" ");
  console.log(
    `$ ${stdinNote ? `printf … (${stdinNote}) | ` : ""}stave ${shown}`,
  );
  const child = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "stave", ...args],
    cwd: ROOT,
    clearEnv: true,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin.map((l) => l + "\n").join("")));
  await w.close();
  const out = await child.output();
  const stdout = new TextDecoder().decode(out.stdout);
  const stderr = new TextDecoder().decode(out.stderr);
  if (stdout) console.log(indent(stdout.replaceAll(dir, "$DEMO")));
  if (stderr) console.log(indent("stderr: " + stderr.replaceAll(dir, "$DEMO")));
  if (out.code !== 0) {
    throw new Error(`step failed (exit ${out.code}): ${title}`);
  }
  return stdout;
}

let status = 0;
try {
  console.log(`stave demo in a throwaway folder ($DEMO = ${dir})`);
  const common = [
    "--suppress-bootwarn",
    "--lightkdf",
    "--configdir",
    configdir,
    "--keystore",
    keystore,
  ];

  await step(
    "1. create the master seed",
    [...common, "init"],
    [master, master],
    "master password, twice",
  );

  const created = await step(
    "2. create the sealer account",
    [...common, "newaccount"],
    [accountPassword],
    "account password",
  );
  const address = /Generated account (0x[0-9a-fA-F]{40})/.exec(created)?.[1];
  if (!address) throw new Error("no address in the newaccount output");

  await step(
    "3. store the account password in the vault (for unattended sealing)",
    [...common, "setpw", address],
    [accountPassword, accountPassword, master],
    "account password twice, then master password",
  );

  console.log("\n=== 4. write a Clique-only rules file");
  const rules =
    `// Clique sealing only: approve header signatures of the sealer account,
// reject every other request the rules engine sees.
var SEALER = "${address.toLowerCase()}";

function ApproveListing() {
  return "Approve";
}

function ApproveSignData(req) {
  if (req.content_type === "application/x-clique-header" &&
      req.address.toLowerCase() === SEALER) {
    return "Approve";
  }
  return "Reject";
}

function ApproveTx() {
  return "Reject";
}
`;
  const rulesPath = join(dir, "rules.js");
  await Deno.writeTextFile(rulesPath, rules);
  console.log(`$DEMO/rules.js:\n${indent(rules)}`);
  const digest = Array.from(
    sha256(new TextEncoder().encode(rules)),
    (x) => x.toString(16).padStart(2, "0"),
  ).join("");
  console.log(`sha256: ${digest}`);

  const pwFile = join(dir, "master.pw");
  await Deno.writeTextFile(pwFile, master + "\n", { mode: 0o600 });
  await Deno.chmod(pwFile, 0o600);
  const attested = await step(
    "5. attest the rules file (master password read from a 0600 file)",
    [...common, "--signersecret", pwFile, "attest", rulesPath],
    [],
    "",
  );
  if (!attested.includes(`sha256=${digest}`)) {
    throw new Error("the attested hash is not the file's sha256");
  }

  await step("6. list the accounts", [...common, "list-accounts"], [], "");

  console.log(`
Done. With the daemon, the sealer would run as:
    stave --configdir $DEMO/clef --keystore $DEMO/keystore --chainid <id> \\
          --signersecret $DEMO/master.pw --rules $DEMO/rules.js
and geth would use it through --signer $DEMO/clef/clef.ipc.`);
} catch (err) {
  console.error(`demo failed: ${(err as Error).message}`);
  status = 1;
} finally {
  await Deno.remove(dir, { recursive: true });
}
Deno.exit(status);
