/**
 * Harness of the Clef differential tests and the Clef side of the signing
 * benchmark: find the pinned Clef binary (tests/interop/versions.json →
 * `.tools/interop/clef-<version>/clef`, built by `make interop`), run its
 * offline commands and daemon as the stave harnesses run stave (clean
 * environment, secrets piped on stdin, a temporary HOME), and exchange raw
 * bytes with either program over IPC or HTTP so that answers can be compared
 * byte for byte.
 *
 * @module
 */
import { join } from "node:path";
import {
  denoDir,
  lines,
  RAW_KEY_ADDRESS,
  RAW_KEY_HEX,
  ROOT,
} from "../_util.ts";
import { freePort, sleep, socketAnswers, splitJsonValues } from "../_daemon.ts";

export { RAW_KEY_ADDRESS, RAW_KEY_HEX, ROOT };

/** The pinned Clef (tests/interop/versions.json). */
export interface ClefPin {
  /** Go package path. */
  package: string;
  /** Module version, e.g. `v1.17.3`. */
  version: string;
}

/** Reads the Clef pin from tests/interop/versions.json. */
export function clefPin(): ClefPin {
  const text = Deno.readTextFileSync(
    join(ROOT, "tests", "interop", "versions.json"),
  );
  const pin = JSON.parse(text).clef as ClefPin;
  if (!pin?.version) throw new Error("versions.json has no clef.version");
  return pin;
}

/** Where `make interop` puts the pinned Clef. */
export function clefPath(): string {
  const { version } = clefPin();
  return join(ROOT, ".tools", "interop", `clef-${version}`, "clef");
}

/**
 * The Clef binary, or an error saying how to build it (the interop tests
 * fail without it: `make interop` must prove something).
 *
 * @returns The path of an executable Clef.
 * @throws {Error} when it is not built.
 */
export function requireClef(): string {
  const path = clefPath();
  try {
    const st = Deno.statSync(path);
    if (st.isFile && ((st.mode ?? 0o111) & 0o111) !== 0) return path;
  } catch {
    // fall through
  }
  const { package: pkg, version } = clefPin();
  throw new Error(
    `Clef ${version} is not built at ${path}: run \`make interop\` ` +
      `(or: GOBIN=${join(ROOT, ".tools", "interop", `clef-${version}`)} ` +
      `go install ${pkg}@${version})`,
  );
}

/** True when the pinned Clef binary exists. */
export function haveClef(): boolean {
  try {
    requireClef();
    return true;
  } catch {
    return false;
  }
}

/** The two programs under comparison. */
export type Program = "clef" | "stave";

/** The outcome of one offline command. */
export interface CmdResult {
  /** Exit status. */
  code: number;
  /** stdout. */
  stdout: string;
  /** stderr. */
  stderr: string;
}

/**
 * Runs one offline command of either program with a clean environment (HOME,
 * PATH, and for stave DENO_DIR), stdin piped then closed.
 *
 * @param program `clef` (the pinned binary) or `stave` (`deno task --quiet stave`).
 * @param args Arguments.
 * @param opts stdin text and HOME.
 * @returns Exit status and output.
 */
export async function runProgram(
  program: Program,
  args: string[],
  opts: { stdin?: string; home: string; cwd?: string },
): Promise<CmdResult> {
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: opts.home,
  };
  let cmd: string;
  let argv: string[];
  if (program === "clef") {
    cmd = requireClef();
    argv = args;
  } else {
    env.DENO_DIR = await denoDir();
    env.DENO_NO_UPDATE_CHECK = "1";
    cmd = Deno.execPath();
    argv = ["task", "--quiet", "stave", ...args];
  }
  const child = new Deno.Command(cmd, {
    args: argv,
    cwd: program === "stave" ? ROOT : (opts.cwd ?? opts.home),
    clearEnv: true,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  try {
    await w.write(new TextEncoder().encode(opts.stdin ?? ""));
  } catch {
    // exited before reading
  }
  await w.close().catch(() => {});
  const out = await child.output();
  return {
    code: out.code,
    stdout: new TextDecoder().decode(out.stdout),
    stderr: new TextDecoder().decode(out.stderr),
  };
}

function must(r: CmdResult, what: string): CmdResult {
  if (r.code !== 0) {
    throw new Error(
      `${what} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
  return r;
}

/** Master password of every vault made here. */
export const MASTER = "the master password 1";
/** Keystore password of every key made here. */
export const KEYPW = "key password 12345";
/** A second private key (imported by stave, so Clef signs with a stave key file). */
export const SECOND_KEY_HEX =
  "4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318";

/** The rules file of the differential: approves everything it is asked. */
export const APPROVE_EVERYTHING = `function ApproveListing(){ return "Approve" }
function ApproveSignData(r){ return "Approve" }
function ApproveTx(r){ return "Approve" }
function OnApprovedTx(r){}
function OnSignerStartup(info){}
`;

/** sha256 hex of a text (what `attest` stores). */
export async function sha256Hex(text: string): Promise<string> {
  const d = await crypto.subtle.digest(
    "SHA-256",
    new TextEncoder().encode(text),
  );
  return Array.from(new Uint8Array(d), (b) => b.toString(16).padStart(2, "0"))
    .join("");
}

/**
 * Makes a key file with `importraw` of a program into a key folder.
 *
 * @param program Who writes the file.
 * @param keystore The folder.
 * @param hex Private key hex.
 * @param home HOME.
 * @param lightkdf `--lightkdf`.
 * @returns The address printed.
 */
export async function importKey(
  program: Program,
  keystore: string,
  hex: string,
  home: string,
  lightkdf = true,
): Promise<string> {
  const file = join(home, `raw-${crypto.randomUUID()}.key`);
  await Deno.writeTextFile(file, hex + "\n", { mode: 0o600 });
  const r = must(
    await runProgram(
      program,
      [
        "--suppress-bootwarn",
        ...(lightkdf ? ["--lightkdf"] : []),
        "--keystore",
        keystore,
        "importraw",
        file,
      ],
      { stdin: lines(KEYPW, KEYPW), home },
    ),
    `${program} importraw`,
  );
  await Deno.remove(file);
  const m = r.stdout.match(/Address (0x[0-9a-fA-F]{40})/);
  if (!m) {
    throw new Error(`${program} importraw printed no address:\n${r.stdout}`);
  }
  return m[1];
}

/**
 * Makes a config folder with a program's own `init`, `setpw` (each address,
 * password {@linkcode KEYPW}) and `attest <sha256 of rules>`.
 *
 * @param program Who makes it.
 * @param configdir The folder (must not exist).
 * @param addresses Accounts whose password is stored.
 * @param rules Rules source to attest.
 * @param home HOME.
 * @param lightkdf `--lightkdf` for `init`.
 */
export async function makeConfig(
  program: Program,
  configdir: string,
  addresses: string[],
  rules: string,
  home: string,
  lightkdf = true,
): Promise<void> {
  const base = ["--suppress-bootwarn", "--configdir", configdir];
  must(
    await runProgram(
      program,
      [...base, ...(lightkdf ? ["--lightkdf"] : []), "init"],
      { stdin: lines(MASTER, MASTER), home },
    ),
    `${program} init`,
  );
  for (const a of addresses) {
    must(
      await runProgram(program, [...base, "setpw", a], {
        stdin: lines(KEYPW, KEYPW, MASTER),
        home,
      }),
      `${program} setpw`,
    );
  }
  must(
    await runProgram(program, [...base, "attest", await sha256Hex(rules)], {
      stdin: lines(MASTER),
      home,
    }),
    `${program} attest`,
  );
}

/** Copies a folder tree (files keep their modes). */
export async function copyTree(from: string, to: string): Promise<void> {
  await Deno.mkdir(to, { recursive: true, mode: 0o700 });
  for await (const e of Deno.readDir(from)) {
    const a = join(from, e.name);
    const b = join(to, e.name);
    if (e.isDirectory) await copyTree(a, b);
    else if (e.isFile) {
      await Deno.copyFile(a, b);
      await Deno.chmod(b, (await Deno.stat(a)).mode! & 0o777);
    }
  }
}

/** A running signer daemon of either program. */
export interface SignerProcess {
  /** Which program. */
  program: Program;
  /** IPC socket path. */
  ipcPath: string;
  /** `http://127.0.0.1:<port>/` with `http`. */
  httpUrl?: string;
  /** The HTTP port with `http`. */
  httpPort?: number;
  /** stdout so far. */
  stdout(): string;
  /** stderr so far. */
  stderr(): string;
  /** Writes to stdin. */
  write(text: string): Promise<void>;
  /** Waits until stdout contains `needle` after offset `from` (or throws). */
  waitStdout(needle: string, from: number, timeoutMs?: number): Promise<void>;
  /** Stops it (SIGINT: the one signal both handle) and waits. */
  stop(): Promise<Deno.CommandStatus>;
}

/** Options of {@linkcode startSigner}. */
export interface SignerOptions {
  /** `--configdir`. */
  configdir: string;
  /** `--keystore`. */
  keystore: string;
  /** Rules file path (attested in the config). */
  rules?: string;
  /** `--chainid` (default 4). */
  chainId?: number;
  /** Folder for audit log and 4byte file. */
  stateDir: string;
  /** HOME. */
  home: string;
  /** Enable HTTP on 127.0.0.1 and a free port. */
  http?: boolean;
  /** Type the master password on stdin at start (default true). */
  master?: boolean;
  /** More flags. */
  extraFlags?: string[];
}

/**
 * Starts the daemon of either program with the same flags, the master
 * password typed on stdin (stdin stays open for later answers), and waits
 * until the IPC socket (and HTTP) answers.
 *
 * @param program Which program.
 * @param o Options.
 * @returns The running daemon.
 */
export async function startSigner(
  program: Program,
  o: SignerOptions,
): Promise<SignerProcess> {
  const args = [
    "--suppress-bootwarn",
    "--lightkdf",
    "--configdir",
    o.configdir,
    "--keystore",
    o.keystore,
    "--chainid",
    String(o.chainId ?? 4),
    "--auditlog",
    join(o.stateDir, `audit-${program}.log`),
    "--4bytedb-custom",
    join(o.stateDir, `4byte-${program}.json`),
  ];
  if (o.rules) args.push("--rules", o.rules);
  let httpPort: number | undefined;
  if (o.http) {
    httpPort = freePort();
    args.push(
      "--http",
      "--http.addr",
      "127.0.0.1",
      "--http.port",
      String(httpPort),
    );
  }
  args.push(...(o.extraFlags ?? []));
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    HOME: o.home,
  };
  let cmd: string;
  let argv: string[];
  if (program === "clef") {
    cmd = requireClef();
    argv = args;
  } else {
    env.DENO_DIR = await denoDir();
    env.DENO_NO_UPDATE_CHECK = "1";
    cmd = Deno.execPath();
    argv = ["task", "--quiet", "stave", ...args];
  }
  const child = new Deno.Command(cmd, {
    args: argv,
    cwd: program === "stave" ? ROOT : o.stateDir,
    clearEnv: true,
    env,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let out = "";
  let err = "";
  const pump = async (
    s: ReadableStream<Uint8Array>,
    add: (t: string) => void,
  ) => {
    const dec = new TextDecoder();
    try {
      for await (const c of s) add(dec.decode(c, { stream: true }));
    } catch {
      // closed
    }
  };
  const pumps = Promise.all([
    pump(child.stdout, (t) => out += t),
    pump(child.stderr, (t) => err += t),
  ]);
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await pumps;
    return s;
  });
  const writer = child.stdin.getWriter();
  const ipcPath = join(o.configdir, "clef.ipc");
  const proc: SignerProcess = {
    program,
    ipcPath,
    httpPort,
    httpUrl: httpPort ? `http://127.0.0.1:${httpPort}/` : undefined,
    stdout: () => out,
    stderr: () => err,
    write: async (t) => {
      await writer.write(new TextEncoder().encode(t));
    },
    async waitStdout(needle, from, timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      while (!out.slice(from).includes(needle)) {
        if (exited || Date.now() > deadline) {
          throw new Error(
            `${program}: no ${JSON.stringify(needle)} on stdout\n--- stdout\n${
              out.slice(from)
            }\n--- stderr\n${err}`,
          );
        }
        await sleep(10);
      }
    },
    async stop() {
      if (!exited) {
        try {
          // stave runs under the deno task runner: signal the whole group
          // would hit other things, so signal the runner's child if any.
          const pid = program === "stave"
            ? await staveChild(child.pid) ?? child.pid
            : child.pid;
          Deno.kill(pid, "SIGINT");
        } catch {
          // gone
        }
      }
      const timer = setTimeout(() => {
        try {
          child.kill("SIGKILL");
        } catch {
          // gone
        }
      }, 20_000);
      const s = await status;
      clearTimeout(timer);
      await writer.close().catch(() => {});
      return s;
    },
  };
  if (o.master ?? true) await proc.write(MASTER + "\n");
  const deadline = Date.now() + 60_000;
  let ready = false;
  while (Date.now() < deadline && !exited) {
    if (await socketAnswers(ipcPath)) {
      ready = true;
      break;
    }
    await sleep(25);
  }
  if (ready && proc.httpUrl) {
    ready = false;
    while (Date.now() < deadline && !exited) {
      try {
        const r = await fetch(proc.httpUrl, {
          method: "POST",
          headers: { "content-type": "application/json", host: "localhost" },
          body: '{"jsonrpc":"2.0","id":0,"method":"account_version"}',
        });
        await r.body?.cancel();
        ready = true;
        break;
      } catch {
        await sleep(25);
      }
    }
  }
  if (!ready) {
    try {
      child.kill("SIGKILL");
    } catch {
      // gone
    }
    const s = await status;
    throw new Error(
      `${program} daemon not ready (exit ${s.code})\nargs: ${
        args.join(" ")
      }\n--- stdout\n${out}\n--- stderr\n${err}`,
    );
  }
  return proc;
}

async function staveChild(runner: number): Promise<number | undefined> {
  for (let i = 0; i < 100; i++) {
    try {
      for await (const t of Deno.readDir(`/proc/${runner}/task`)) {
        const kids = (await Deno.readTextFile(
          `/proc/${runner}/task/${t.name}/children`,
        )).trim();
        if (kids) return Number(kids.split(/\s+/)[0]);
      }
    } catch {
      return undefined;
    }
    await sleep(10);
  }
  return undefined;
}

/** What one IPC exchange produced. */
export interface IpcOutcome {
  /** The JSON values the case produced, as the exact bytes received. */
  values: string[];
  /** The server closed the connection before the sentinel was answered. */
  closed: boolean;
}

const SENTINEL =
  '{"jsonrpc":"2.0","id":"sentinel-9f1c","method":"account_version"}';

/**
 * Sends one case's bytes on a fresh IPC connection, immediately followed
 * (no separator: geth framing, JSON values back to back) by a sentinel
 * `account_version` call, and collects every value that is not the
 * sentinel's answer. Go's rpc server answers requests of one connection
 * concurrently, so after the sentinel's answer it waits `graceMs` more when
 * the case has not answered yet (a notification answers nothing).
 *
 * @param path Socket path.
 * @param bytes The case's request bytes.
 * @param opts `graceMs` (default 400), `timeoutMs` (default 30000),
 *   `alone`: send no sentinel, collect for `graceMs`.
 * @returns The case's answers and whether the connection closed.
 */
export async function ipcExchange(
  path: string,
  bytes: Uint8Array,
  opts: { graceMs?: number; timeoutMs?: number; alone?: boolean } = {},
): Promise<IpcOutcome> {
  const conn = await Deno.connect({ transport: "unix", path });
  const sentinel = opts.alone ? "" : SENTINEL;
  const all = new Uint8Array(bytes.length + sentinel.length);
  all.set(bytes);
  all.set(new TextEncoder().encode(sentinel), bytes.length);
  const writing = (async () => {
    let off = 0;
    try {
      while (off < all.length) off += await conn.write(all.subarray(off));
    } catch {
      // closed by the server
    }
  })();
  const values: string[] = [];
  let closed = false;
  // Alone (no sentinel): wait graceMs from the start for what comes.
  let sentinelAt: number | undefined = opts.alone ? Date.now() : undefined;
  let buf = "";
  const dec = new TextDecoder();
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  const grace = opts.graceMs ?? 400;
  const chunk = new Uint8Array(1 << 16);
  let pendingRead: Promise<number | null> | undefined;
  try {
    while (true) {
      const now = Date.now();
      if (
        sentinelAt !== undefined &&
        (values.length > 0 || now - sentinelAt >= grace)
      ) {
        break;
      }
      if (now >= deadline) break;
      const wait = sentinelAt === undefined
        ? deadline - now
        : Math.min(deadline - now, grace - (now - sentinelAt));
      pendingRead ??= conn.read(chunk).catch(() => null);
      const n = await Promise.race([
        pendingRead,
        sleep(Math.max(1, wait)).then(() => "tick" as const),
      ]);
      if (n === "tick") continue;
      pendingRead = undefined;
      if (n === null) {
        closed = opts.alone === true || sentinelAt === undefined;
        break;
      }
      buf += dec.decode(chunk.subarray(0, n), { stream: true });
      const split = splitJsonValues(buf);
      buf = split.rest;
      for (const v of split.values) {
        if (sentinelAt === undefined && v.includes('"id":"sentinel-9f1c"')) {
          sentinelAt = Date.now();
        } else values.push(v);
      }
    }
  } finally {
    try {
      conn.close();
    } catch {
      // closed
    }
    await writing;
  }
  return { values, closed };
}

/** An HTTP answer as compared: status, content type, body. */
export interface RawHttpAnswer {
  /** Status code. */
  status: number;
  /** Content-Type header (lowercase name). */
  contentType: string | null;
  /** Body (chunked transfer decoded). */
  body: string;
}

/**
 * Sends one HTTP/1.1 request over a raw TCP connection (fetch cannot set
 * `Host`) with `Connection: close`, and reads the answer to the end.
 *
 * @param port Loopback port.
 * @param method HTTP method.
 * @param headers Headers (`host` defaults to `localhost`, content type to
 *   `application/json`; a null value leaves the header out).
 * @param body Body text.
 * @returns Status, content type and body.
 */
export async function httpRaw(
  port: number,
  method: string,
  headers: Record<string, string | null>,
  body: string | undefined,
): Promise<RawHttpAnswer> {
  const enc = new TextEncoder();
  const b = enc.encode(body ?? "");
  const h: Record<string, string | null> = {
    host: "localhost",
    "content-type": "application/json",
    ...headers,
  };
  let head = `${method} / HTTP/1.1\r\n`;
  for (const [k, v] of Object.entries(h)) {
    if (v !== null) head += `${k}: ${v}\r\n`;
  }
  if (body !== undefined) head += `content-length: ${b.length}\r\n`;
  head += "connection: close\r\n\r\n";
  const conn = await Deno.connect({ hostname: "127.0.0.1", port });
  const all = new Uint8Array(enc.encode(head).length + b.length);
  all.set(enc.encode(head));
  all.set(b, enc.encode(head).length);
  const writing = (async () => {
    let off = 0;
    try {
      while (off < all.length) off += await conn.write(all.subarray(off));
    } catch {
      // the server answered early and closed
    }
  })();
  const chunks: Uint8Array[] = [];
  const buf = new Uint8Array(1 << 16);
  const timer = setTimeout(() => conn.close(), 60_000);
  try {
    while (true) {
      const n = await conn.read(buf);
      if (n === null) break;
      chunks.push(buf.slice(0, n));
    }
  } catch {
    // reset
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch {
      // closed
    }
    await writing;
  }
  const total = new Uint8Array(chunks.reduce((a, c) => a + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    total.set(c, o);
    o += c.length;
  }
  const text = new TextDecoder().decode(total);
  const end = text.indexOf("\r\n\r\n");
  const [statusLine, ...lines] = text.slice(0, end).split("\r\n");
  const hs = new Map<string, string>();
  for (const l of lines) {
    const i = l.indexOf(":");
    hs.set(l.slice(0, i).trim().toLowerCase(), l.slice(i + 1).trim());
  }
  let rest = text.slice(end + 4);
  if (hs.get("transfer-encoding")?.toLowerCase() === "chunked") {
    let out = "";
    while (rest.length > 0) {
      const nl = rest.indexOf("\r\n");
      const size = parseInt(rest.slice(0, nl), 16);
      if (!size) break;
      out += rest.slice(nl + 2, nl + 2 + size);
      rest = rest.slice(nl + 2 + size + 2);
    }
    rest = out;
  }
  return {
    status: Number(statusLine.split(" ")[1]),
    contentType: hs.get("content-type") ?? null,
    body: rest,
  };
}
