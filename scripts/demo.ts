/**
 * `make demo`: the Clique signing guide end to end, run for real in a
 * throwaway folder. Each step prints the command line (secrets shown as
 * `…`) and its output:
 *
 * 1. `stave init`        – master seed (master password piped twice)
 * 2. `stave newaccount`  – the sealer key (account password piped)
 * 3. `stave setpw`       – store the account password in the vault
 * 4. write the master password to a 0600 file (for `--signersecret`)
 * 5. `stave attest rules/clique_only.js` – the guide's Clique-only rule
 * 6. start the daemon (stdin `/dev/null`, `--signersecret`, `--rules`,
 *    `--clique-guard`) and wait for `<configdir>/clef.ipc`
 * 7. `account_version`, `account_list` over the socket, as geth does
 * 8. consecutive London Clique headers (RLP without the seal, as geth's
 *    `CliqueRLP` sends them) through `account_signData`; each seal is
 *    checked like a Clique node does: 65 bytes, V ∈ {0,1}, and the sealer
 *    recovered from the seal hash (keccak + secp256k1 recovery from the
 *    noble libraries, independent of stave's code) is the account
 * 9. refusals: `text/plain` (the rule rejects → `request denied`), a second,
 *    different header at a sealed height and one below it (`--clique-guard`)
 * 10. SIGTERM: the daemon exits 0 and removes its socket
 *
 * Secrets are random per run and never printed; `--lightkdf` (key and seed
 * creation only) keeps the demo fast — drop it for real keys. The folder
 * is removed at the end. Exit status 0 only if every expectation held.
 *
 * @module
 */
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { sha256 } from "@noble/hashes/sha2.js";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { secp256k1 } from "@noble/curves/secp256k1.js";

const ROOT = fileURLToPath(new URL("../", import.meta.url));
/** The guide's Clique-only rules file (rules/README.md). */
const RULES_FILE = "rules/clique_only.js";
const CHAIN_ID = "12345";
const HEADERS = 5;
const FIRST_BLOCK = 1000n;
const READY_TIMEOUT_MS = 20_000;
const RPC_TIMEOUT_MS = 10_000;
const STOP_TIMEOUT_MS = 15_000;

const enc = new TextEncoder();
const dec = new TextDecoder();

// ---------------------------------------------------------------------------
// Small helpers

function hex(bytes: Uint8Array): string {
  return Array.from(bytes, (x) => x.toString(16).padStart(2, "0")).join("");
}

function fromHex(s: string): Uint8Array {
  const h = s.startsWith("0x") ? s.slice(2) : s;
  if (h.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(h)) {
    throw new Error(`not hex: ${s}`);
  }
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) {
    out[i] = parseInt(h.slice(2 * i, 2 * i + 2), 16);
  }
  return out;
}

function randomPassword(): string {
  return "demo-" + hex(crypto.getRandomValues(new Uint8Array(12)));
}

function indent(text: string): string {
  return text.replace(/\n$/, "").split("\n").map((l) => "    " + l).join("\n");
}

function short(s: string, keep = 18): string {
  return s.length <= keep * 2 + 1 ? s : `${s.slice(0, keep)}…${s.slice(-8)}`;
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

let checks = 0;
/** One expectation of the demo; a failure ends it with a clear message. */
function expect(cond: unknown, what: string): asserts cond {
  if (!cond) throw new Error(`expectation failed: ${what}`);
  checks++;
  console.log(`    ✓ ${what}`);
}

async function denoDir(): Promise<string> {
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return fromEnv;
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["info", "--json"],
    stdout: "piped",
    stderr: "null",
  }).output();
  return JSON.parse(dec.decode(out.stdout)).denoDir;
}

// ---------------------------------------------------------------------------
// RLP, Clique headers and seal checks (independent of src/)

function rlpLength(len: number, offset: number): Uint8Array {
  if (len < 56) return Uint8Array.of(offset + len);
  const bytes: number[] = [];
  for (let n = len; n > 0; n = Math.floor(n / 256)) bytes.unshift(n & 0xff);
  return Uint8Array.of(offset + 55 + bytes.length, ...bytes);
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let off = 0;
  for (const p of parts) {
    out.set(p, off);
    off += p.length;
  }
  return out;
}

function rlpBytes(b: Uint8Array): Uint8Array {
  if (b.length === 1 && b[0] < 0x80) return b;
  return concat([rlpLength(b.length, 0x80), b]);
}

function rlpList(items: Uint8Array[]): Uint8Array {
  const body = concat(items.map(rlpBytes));
  return concat([rlpLength(body.length, 0xc0), body]);
}

/** Big-endian minimal bytes of a quantity (0 → empty). */
function quantity(n: bigint): Uint8Array {
  if (n === 0n) return new Uint8Array(0);
  let h = n.toString(16);
  if (h.length % 2) h = "0" + h;
  return fromHex(h);
}

/** A London Clique header as geth's miner builds it (extra = 32-byte vanity). */
interface Header {
  parentHash: Uint8Array;
  number: bigint;
  time: bigint;
  difficulty: bigint;
  gasUsed: bigint;
  baseFee: bigint;
  vanity: Uint8Array;
}

const EMPTY_UNCLE_HASH = fromHex(
  "1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347",
);
const EMPTY_ROOT = fromHex(
  "56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421",
);

/** RLP of the header with `extra` as given (16 fields: London). */
function headerRlp(h: Header, extra: Uint8Array): Uint8Array {
  return rlpList([
    h.parentHash,
    EMPTY_UNCLE_HASH,
    new Uint8Array(20), // coinbase: zero under Clique
    keccak_256(enc.encode(`state root ${h.number}`)),
    EMPTY_ROOT,
    EMPTY_ROOT,
    new Uint8Array(256), // bloom
    quantity(h.difficulty),
    quantity(h.number),
    quantity(30_000_000n), // gas limit
    quantity(h.gasUsed),
    quantity(h.time),
    extra,
    new Uint8Array(32), // mix digest
    new Uint8Array(8), // nonce: no vote
    quantity(h.baseFee),
  ]);
}

/**
 * Recovers a Clique sealer: 65-byte seal, V ∈ {0,1}, public key recovered
 * from the seal hash (keccak of the header RLP without the seal), address =
 * last 20 bytes of keccak(pubkey).
 */
function recoverSealer(sealHash: Uint8Array, seal: string): string {
  const sig = fromHex(seal);
  if (sig.length !== 65) throw new Error(`seal is ${sig.length} bytes, not 65`);
  if (sig[64] > 1) throw new Error(`seal V is ${sig[64]}, want 0 or 1`);
  const pub = secp256k1.Signature.fromBytes(sig.subarray(0, 64), "compact")
    .addRecoveryBit(sig[64])
    .recoverPublicKey(sealHash)
    .toBytes(false);
  return "0x" + hex(keccak_256(pub.subarray(1)).subarray(12));
}

// ---------------------------------------------------------------------------
// JSON-RPC over the IPC socket (one JSON value per line each way)

interface RpcAnswer {
  result?: unknown;
  error?: { code: number; message: string };
}

class IpcClient {
  #conn: Deno.UnixConn;
  #buf = "";
  #id = 0;
  #pending = new Map<number, (a: RpcAnswer) => void>();
  #reading: Promise<void>;

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
    this.#reading = this.#read();
  }

  static async connect(path: string): Promise<IpcClient> {
    return new IpcClient(await Deno.connect({ transport: "unix", path }));
  }

  async #read(): Promise<void> {
    const chunk = new Uint8Array(64 * 1024);
    const textDec = new TextDecoder();
    try {
      for (;;) {
        const n = await this.#conn.read(chunk);
        if (n === null) break;
        this.#buf += textDec.decode(chunk.subarray(0, n), { stream: true });
        let nl;
        while ((nl = this.#buf.indexOf("\n")) >= 0) {
          const line = this.#buf.slice(0, nl).trim();
          this.#buf = this.#buf.slice(nl + 1);
          if (line === "") continue;
          const msg = JSON.parse(line);
          this.#pending.get(msg.id)?.(msg);
          this.#pending.delete(msg.id);
        }
      }
    } catch {
      // closed
    }
  }

  /** Sends one request and prints it with its answer. */
  async call(method: string, params: unknown[] = []): Promise<RpcAnswer> {
    const id = ++this.#id;
    const req = { jsonrpc: "2.0", id, method, params };
    console.log(
      `  → ${
        JSON.stringify(req, (_k, v) =>
          typeof v === "string" && v.length > 60 ? short(v) : v)
      }`,
    );
    const answer = new Promise<RpcAnswer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`no answer to ${method} within ${RPC_TIMEOUT_MS} ms`));
      }, RPC_TIMEOUT_MS);
      this.#pending.set(id, (a) => {
        clearTimeout(timer);
        resolve(a);
      });
    });
    await this.#conn.write(enc.encode(JSON.stringify(req) + "\n"));
    const a = await answer;
    const shown = a.error ? { error: a.error } : { result: a.result };
    console.log(`  ← ${JSON.stringify(shown)}`);
    return a;
  }

  async close(): Promise<void> {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
    await this.#reading;
  }
}

// ---------------------------------------------------------------------------
// The demo

const dir = await Deno.makeTempDir({ prefix: "stave-demo-" });
const configdir = join(dir, "clef");
const keystore = join(dir, "keystore");
const socketPath = join(configdir, "clef.ipc");
const env: Record<string, string> = {
  HOME: dir,
  PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
  DENO_DIR: await denoDir(),
  DENO_NO_UPDATE_CHECK: "1",
};
const master = randomPassword();
const accountPassword = randomPassword();

function shownArgs(args: string[]): string {
  return args.map((a) => a.replaceAll(dir, "$DEMO")).join(" ");
}

function staveCommand(
  args: string[],
  stdin: "piped" | "null",
): Deno.Command {
  return new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "stave", ...args],
    cwd: ROOT,
    clearEnv: true,
    env,
    stdin,
    stdout: "piped",
    stderr: "piped",
  });
}

/** Runs one CLI step; prints it; throws on a non-zero exit. */
async function step(
  title: string,
  args: string[],
  stdin: string[],
  stdinNote: string,
): Promise<string> {
  console.log(`\n=== ${title}`);
  console.log(
    `$ ${stdinNote ? `printf … (${stdinNote}) | ` : ""}stave ${
      shownArgs(args)
    }`,
  );
  const child = staveCommand(args, "piped").spawn();
  const w = child.stdin.getWriter();
  await w.write(enc.encode(stdin.map((l) => l + "\n").join("")));
  await w.close();
  const out = await child.output();
  const stdout = dec.decode(out.stdout);
  const stderr = dec.decode(out.stderr);
  if (stdout) console.log(indent(stdout.replaceAll(dir, "$DEMO")));
  if (stderr) console.log(indent("stderr: " + stderr.replaceAll(dir, "$DEMO")));
  for (const secret of [master, accountPassword]) {
    if (stdout.includes(secret) || stderr.includes(secret)) {
      throw new Error(`step printed a secret: ${title}`);
    }
  }
  if (out.code !== 0) {
    throw new Error(`step failed (exit ${out.code}): ${title}`);
  }
  return stdout;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}

let daemon: Deno.ChildProcess | undefined;
let daemonExit: Promise<Deno.CommandStatus> | undefined;
let daemonLog = "";
let client: IpcClient | undefined;
let status = 0;

try {
  console.log(`stave demo in a throwaway folder ($DEMO = ${dir})`);
  const folders = ["--configdir", configdir, "--keystore", keystore];

  await step(
    "1. create the master seed",
    ["--suppress-bootwarn", "--lightkdf", ...folders, "init"],
    [master, master],
    "master password, twice",
  );

  const created = await step(
    "2. create the sealer account",
    ["--suppress-bootwarn", "--lightkdf", ...folders, "newaccount"],
    [accountPassword],
    "account password",
  );
  const address = /Generated account (0x[0-9a-fA-F]{40})/.exec(created)?.[1];
  if (!address) throw new Error("no address in the newaccount output");

  await step(
    "3. store the account password in the vault (for unattended sealing)",
    ["--suppress-bootwarn", ...folders, "setpw", address],
    [accountPassword, accountPassword, master],
    "account password twice, then master password",
  );

  console.log("\n=== 4. write the master password to a 0600 file");
  const pwFile = join(dir, "master-password");
  await Deno.writeTextFile(pwFile, master + "\n", { mode: 0o600 });
  await Deno.chmod(pwFile, 0o600);
  console.log(`$ install -m 0600 … $DEMO/master-password`);
  expect(
    ((await Deno.stat(pwFile)).mode! & 0o777) === 0o600,
    "password file mode 0600",
  );

  const rules = await Deno.readTextFile(join(ROOT, RULES_FILE));
  const digest = hex(sha256(enc.encode(rules)));
  console.log(`\n${RULES_FILE} (the guide's Clique-only rule):`);
  console.log(indent(rules));
  console.log(`sha256: ${digest}`);
  const attested = await step(
    "5. attest the rules file (master password from --signersecret)",
    [
      "--suppress-bootwarn",
      ...folders,
      "--signersecret",
      pwFile,
      "attest",
      RULES_FILE,
    ],
    [],
    "",
  );
  expect(attested.includes(`sha256=${digest}`), "attested hash = file sha256");

  console.log("\n=== 6. start the signer daemon (stdin /dev/null)");
  const daemonArgs = [
    "--suppress-bootwarn",
    ...folders,
    "--chainid",
    CHAIN_ID,
    "--signersecret",
    pwFile,
    "--rules",
    RULES_FILE,
    "--clique-guard",
    "--auditlog",
    join(dir, "audit.log"),
    "--4bytedb-custom",
    join(dir, "4byte-custom.json"),
  ];
  console.log(`$ stave ${shownArgs(daemonArgs)} </dev/null &`);
  daemon = staveCommand(daemonArgs, "null").spawn();
  const pump = (async () => {
    const textDec = new TextDecoder();
    for await (const c of daemon.stderr) {
      daemonLog += textDec.decode(c, { stream: true });
    }
  })();
  const stdoutDone = daemon.stdout.cancel().catch(() => {});
  let exited = false;
  daemonExit = daemon.status.then(async (s) => {
    exited = true;
    await pump.catch(() => {});
    await stdoutDone;
    return s;
  });
  const t0 = performance.now();
  while (!exited && performance.now() - t0 < READY_TIMEOUT_MS) {
    try {
      client = await IpcClient.connect(socketPath);
      break;
    } catch {
      await sleep(50);
    }
  }
  if (!client) {
    const s = exited ? await daemonExit : undefined;
    throw new Error(
      `the daemon did not open ${socketPath} (${
        s ? `exit ${s.code}` : "timeout"
      })\n${daemonLog.replaceAll(dir, "$DEMO")}`,
    );
  }
  console.log(
    `socket $DEMO/clef/clef.ipc answers after ${
      (performance.now() - t0).toFixed(0)
    } ms`,
  );
  expect(
    ((await Deno.lstat(socketPath)).mode! & 0o777) === 0o600,
    "socket mode 0600",
  );
  expect(daemonLog.includes("Rule engine configured"), "rules active");

  console.log("\n=== 7. geth's first calls: version and account list");
  const version = await client.call("account_version");
  expect(version.result === "6.1.0", "account_version is 6.1.0");
  const list = await client.call("account_list");
  expect(
    Array.isArray(list.result) &&
      list.result.some((a) =>
        String(a).toLowerCase() === address.toLowerCase()
      ),
    "account_list (approved by ApproveListing) shows the sealer",
  );

  console.log(
    `\n=== 8. seal ${HEADERS} consecutive London headers (application/x-clique-header)`,
  );
  let parentHash = keccak_256(enc.encode("demo genesis"));
  let baseFee = 1_000_000_000n;
  const seals = new Set<string>();
  let last: { header: Header; rlp: string; seal: string } | undefined;
  for (let i = 0n; i < BigInt(HEADERS); i++) {
    const header: Header = {
      parentHash,
      number: FIRST_BLOCK + i,
      time: 1_750_000_000n + i * 5n,
      difficulty: 2n,
      gasUsed: 21_000n * i,
      baseFee,
      vanity: new Uint8Array(32),
    };
    // geth's CliqueRLP: the header with extra-data minus the 65-byte seal.
    const unsealed = headerRlp(header, header.vanity);
    const rlp = "0x" + hex(unsealed);
    console.log(
      `block ${header.number} (baseFee ${baseFee} wei, ${unsealed.length} bytes RLP)`,
    );
    const a = await client.call("account_signData", [
      "application/x-clique-header",
      address,
      rlp,
    ]);
    if (typeof a.result !== "string") {
      throw new Error(`block ${header.number} not sealed: ${a.error?.message}`);
    }
    const seal = a.result;
    const sealHash = keccak_256(unsealed);
    const sealer = recoverSealer(sealHash, seal);
    console.log(
      `    seal hash 0x${short(hex(sealHash), 10)}  V=${
        parseInt(seal.slice(-2), 16)
      }  recovered sealer ${sealer}`,
    );
    expect(
      sealer === address.toLowerCase(),
      `block ${header.number}: 65-byte seal, V∈{0,1}, sealer = account`,
    );
    expect(!seals.has(seal), `block ${header.number}: a new seal`);
    seals.add(seal);
    // The sealed block's hash (extra ‖ seal) is the next parent hash.
    parentHash = keccak_256(
      headerRlp(header, concat([header.vanity, fromHex(seal)])),
    );
    baseFee = baseFee * 7n / 8n + 1n;
    last = { header, rlp, seal };
  }
  if (!last) throw new Error("no header sealed");

  console.log("\n=== 9. the same header again (deterministic, allowed)");
  const again = await client.call("account_signData", [
    "application/x-clique-header",
    address,
    last.rlp,
  ]);
  expect(again.result === last.seal, "identical seal for the identical header");

  console.log("\n=== 10. refused: a non-Clique request (text/plain)");
  const text = await client.call("account_signData", [
    "text/plain",
    address,
    "0x" + hex(enc.encode("please sign me")),
  ]);
  expect(
    text.error?.message === "request denied",
    "text/plain → request denied (the rule returns Reject)",
  );

  console.log(
    `\n=== 11. refused: a different header at sealed height ${last.header.number} (--clique-guard)`,
  );
  const fork = { ...last.header, time: last.header.time + 1n };
  const forked = await client.call("account_signData", [
    "application/x-clique-header",
    address,
    "0x" + hex(headerRlp(fork, fork.vanity)),
  ]);
  expect(
    forked.error?.message.includes("second, different header") === true,
    "second header at one height refused by the guard",
  );
  const older = { ...last.header, number: last.header.number - 2n };
  console.log(`block ${older.number} (below the highest sealed block):`);
  const low = await client.call("account_signData", [
    "application/x-clique-header",
    address,
    "0x" + hex(headerRlp(older, older.vanity)),
  ]);
  expect(
    low.error?.message.includes("below the highest signed block") === true,
    "header below the highest sealed height refused by the guard",
  );

  await client.close();
  client = undefined;

  console.log("\n=== 12. stop the daemon with SIGTERM");
  console.log("$ kill -TERM <pid>");
  daemon.kill("SIGTERM");
  const st = await Promise.race([
    daemonExit,
    sleep(STOP_TIMEOUT_MS).then(() => undefined),
  ]);
  if (!st) throw new Error("the daemon did not stop after SIGTERM");
  daemon = undefined;
  console.log("daemon log (stderr):");
  console.log(indent(daemonLog.replaceAll(dir, "$DEMO")));
  expect(
    !daemonLog.includes(master) && !daemonLog.includes(accountPassword),
    "no secret in the daemon log",
  );
  expect(st.code === 0, `exit status 0 (got ${st.code})`);
  expect(!(await exists(socketPath)), "socket removed");

  console.log(`
Demo passed: ${checks} checks held. For a real sealer, drop --lightkdf, keep
the folders, and let geth connect with:
    geth --signer <configdir>/clef.ipc ...
(contrib/systemd/stave.service runs the daemon under systemd).`);
} catch (err) {
  console.error(`\ndemo failed: ${(err as Error).message}`);
  if (daemonLog && daemon) {
    console.error("daemon log (stderr):");
    console.error(indent(daemonLog.replaceAll(dir, "$DEMO")));
  }
  status = 1;
} finally {
  await client?.close();
  if (daemon && daemonExit) {
    // Stop a daemon left running by a failure: SIGTERM, then SIGKILL.
    for (const sig of ["SIGTERM", "SIGKILL"] as const) {
      try {
        daemon.kill(sig);
      } catch {
        break; // already gone
      }
      const done = await Promise.race([
        daemonExit.then(() => true),
        sleep(5_000).then(() => false),
      ]);
      if (done) break;
    }
  }
  await Deno.remove(dir, { recursive: true });
}
Deno.exit(status);
