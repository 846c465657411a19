/**
 * Harness of the black-box daemon tests and the signing benchmark: set up a
 * signer with the real offline commands (`init`, `importraw`, `setpw`,
 * `attest`), start the real daemon (`deno task --quiet stave …`), talk to it
 * as geth does (IPC JSON-RPC, ids from 1, `params` omitted when empty) or
 * over HTTP, and check Clique seals with an independent oracle (ethers v6).
 *
 * @module
 */
import { join } from "node:path";
import {
  encodeRlp,
  getAddress,
  keccak256,
  recoverAddress,
  Signature,
  toBeHex,
} from "ethers";
import {
  denoDir,
  lines,
  RAW_KEY_ADDRESS,
  RAW_KEY_HEX,
  ROOT,
  type RunResult,
  runStave,
  type TempDirs,
  tempDirs,
} from "./_util.ts";

export { RAW_KEY_ADDRESS, RAW_KEY_HEX, ROOT };

/** Master password used by {@linkcode setupSigner}. */
export const MASTER_PASSWORD = "the master password 1";
/** Keystore password used by {@linkcode setupSigner}. */
export const KEY_PASSWORD = "key password 12345";

/** Default `--chainid` of {@linkcode startDaemon} (the spec's geth example). */
export const DEFAULT_CHAIN_ID = 4;

/** A rules file approving listing, data signing and transactions. */
export const APPROVE_ALL_RULES = `function ApproveListing(){ return "Approve" }
function ApproveSignData(r){ return "Approve" }
function ApproveTx(r){ return "Approve" }
function OnApprovedTx(r){}
`;

/** The guide's rules files shipped in `rules/`. */
export const GUIDE_RULES = {
  listOnly: join(ROOT, "rules", "list_only.js"),
  cliqueOnly: join(ROOT, "rules", "clique_only.js"),
  cliqueLastblock: join(ROOT, "rules", "clique_lastblock.js"),
} as const;

// ---------------------------------------------------------------------------
// Signer set-up through the real offline commands

/** What {@linkcode setupSigner} prepared. */
export interface SignerSetup {
  /** Temporary folders (root, home, configdir, keystore). */
  dirs: TempDirs;
  /** `--configdir`. */
  configdir: string;
  /** `--keystore`. */
  keystore: string;
  /** HOME of every spawned process. */
  home: string;
  /** Checksummed address of the account. */
  address: string;
  /** Private key hex (no 0x) when the account was imported. */
  privateKey?: string;
  /** 0600 file whose first line is the master password (null without vault). */
  masterPasswordFile: string | null;
  /** Rules file attested (if any). */
  rulesPath?: string;
  /** Removes everything. */
  cleanup(): Promise<void>;
}

/** Options of {@linkcode setupSigner}. */
export interface SetupOptions {
  /** Pass `--lightkdf` to `init`/`importraw`/`newaccount` (default true). */
  lightkdf?: boolean;
  /** Create a master seed with `init` (default true). */
  vault?: boolean;
  /** `importraw` the go-ethereum test key (default) or `newaccount`. */
  account?: "raw" | "new";
  /** Store the key password with `setpw` (default true when `vault`). */
  storePassword?: boolean;
  /** Rules file to attest: a path (used as is). */
  rulesPath?: string;
  /** Rules source to write into the temp folder and attest. */
  rulesSource?: string;
}

function must(r: RunResult, what: string): RunResult {
  if (r.code !== 0) {
    throw new Error(
      `${what} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
  return r;
}

/**
 * Prepares a signer with the real commands: `init` (master password piped
 * twice), `importraw` (key password twice) or `newaccount`, `setpw` (key
 * password twice + master password), `attest <rules path>` (master
 * password), all with `--suppress-bootwarn`; writes a 0600 password file for
 * `--signersecret`.
 *
 * @param opts What to set up.
 * @returns Paths and the account address.
 */
export async function setupSigner(
  opts: SetupOptions = {},
): Promise<SignerSetup> {
  const lightkdf = opts.lightkdf ?? true;
  const vault = opts.vault ?? true;
  const dirs = await tempDirs();
  const kdf = lightkdf ? ["--lightkdf"] : [];
  const run = (args: string[], stdin: string) =>
    runStave(["--suppress-bootwarn", ...args], { stdin, home: dirs.home });
  try {
    let address: string;
    let privateKey: string | undefined;
    if ((opts.account ?? "raw") === "raw") {
      const keyFile = join(dirs.root, "raw.key");
      await Deno.writeTextFile(keyFile, RAW_KEY_HEX + "\n", { mode: 0o600 });
      const r = must(
        await run(
          [...kdf, "importraw", "--keystore", dirs.keystore, keyFile],
          lines(KEY_PASSWORD, KEY_PASSWORD),
        ),
        "importraw",
      );
      if (!r.stdout.includes(`Address ${RAW_KEY_ADDRESS}`)) {
        throw new Error(`importraw printed no address:\n${r.stdout}`);
      }
      address = RAW_KEY_ADDRESS;
      privateKey = RAW_KEY_HEX;
    } else {
      const r = must(
        await run(
          [...kdf, "newaccount", "--keystore", dirs.keystore],
          lines(KEY_PASSWORD),
        ),
        "newaccount",
      );
      const m = r.stdout.match(/Generated account (0x[0-9a-fA-F]{40})/);
      if (!m) throw new Error(`newaccount printed no address:\n${r.stdout}`);
      address = m[1];
    }
    let masterPasswordFile: string | null = null;
    let rulesPath: string | undefined;
    if (vault) {
      must(
        await run(
          [...kdf, "init", "--configdir", dirs.configdir],
          lines(MASTER_PASSWORD, MASTER_PASSWORD),
        ),
        "init",
      );
      masterPasswordFile = join(dirs.root, "master.pw");
      await Deno.writeTextFile(masterPasswordFile, MASTER_PASSWORD + "\n", {
        mode: 0o600,
      });
      await Deno.chmod(masterPasswordFile, 0o600);
      if (opts.storePassword ?? true) {
        must(
          await run(
            ["setpw", "--configdir", dirs.configdir, address],
            lines(KEY_PASSWORD, KEY_PASSWORD, MASTER_PASSWORD),
          ),
          "setpw",
        );
      }
      if (opts.rulesSource !== undefined) {
        rulesPath = join(dirs.root, "rules.js");
        await Deno.writeTextFile(rulesPath, opts.rulesSource);
      } else {
        rulesPath = opts.rulesPath;
      }
      if (rulesPath !== undefined) {
        must(
          await run(
            ["attest", "--configdir", dirs.configdir, rulesPath],
            lines(MASTER_PASSWORD),
          ),
          "attest",
        );
      }
    }
    return {
      dirs,
      configdir: dirs.configdir,
      keystore: dirs.keystore,
      home: dirs.home,
      address,
      privateKey,
      masterPasswordFile,
      rulesPath,
      cleanup: () => dirs.cleanup().catch(() => {}),
    };
  } catch (err) {
    await dirs.cleanup().catch(() => {});
    throw err;
  }
}

/**
 * Attests another rules file in an existing set-up (`stave attest <path>`).
 *
 * @param setup The signer.
 * @param rulesPath The rules file.
 */
export async function attestRules(
  setup: SignerSetup,
  rulesPath: string,
): Promise<void> {
  must(
    await runStave(
      [
        "--suppress-bootwarn",
        "attest",
        "--configdir",
        setup.configdir,
        rulesPath,
      ],
      { stdin: lines(MASTER_PASSWORD), home: setup.home },
    ),
    "attest",
  );
  setup.rulesPath = rulesPath;
}

// ---------------------------------------------------------------------------
// Daemon process

/** A TCP port that was free a moment ago (bind, read, close). */
export function freePort(): number {
  const l = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (l.addr as Deno.NetAddr).port;
  l.close();
  return port;
}

/** Options of {@linkcode startDaemon}. */
export interface DaemonOptions {
  /** `--chainid` (default {@linkcode DEFAULT_CHAIN_ID}). */
  chainId?: number;
  /** `--rules` (default: the set-up's attested file; null: none). */
  rules?: string | null;
  /** Pass `--signersecret <password file>` (default: when there is a vault). */
  signerSecret?: boolean;
  /** stdin of the daemon: `/dev/null` (default) or a pipe. */
  stdin?: "null" | "pipe";
  /** Enable HTTP on 127.0.0.1 and a free port (default false). */
  http?: boolean;
  /** More flags (e.g. `--clique-guard`). */
  extraFlags?: string[];
  /** Wait until the IPC socket accepts connections (default true). */
  wait?: boolean;
  /** Bound of that wait (default 30 s). */
  readyTimeoutMs?: number;
  /** `--lightkdf` (default true). */
  lightkdf?: boolean;
  /** Extra environment variables (e.g. `DENO_V8_FLAGS`). */
  env?: Record<string, string>;
}

/** Memory figures of a process from `/proc/<pid>/status`, in KiB. */
export interface MemoryInfo {
  /** VmRSS. */
  rssKiB: number;
  /** VmHWM (peak RSS). */
  hwmKiB: number;
}

/** A running daemon. */
export interface Daemon {
  /** The IPC socket path. */
  ipcPath: string;
  /** `http://127.0.0.1:<port>/` with `http`. */
  httpUrl?: string;
  /** The spawned `deno task` process. */
  process: Deno.ChildProcess;
  /** The process's exit status (the `deno task` runner mirrors the daemon's). */
  status: Promise<Deno.CommandStatus>;
  /** The arguments given to `deno task --quiet stave`. */
  args: string[];
  /** pid of the daemon itself (the child of the task runner). */
  daemonPid(): Promise<number>;
  /** Everything written to stderr so far. */
  stderrText(): string;
  /** Everything written to stdout so far. */
  stdoutText(): string;
  /** Writes to stdin (only with `stdin: "pipe"`). */
  writeStdin(text: string): Promise<void>;
  /** Closes stdin (only with `stdin: "pipe"`). */
  closeStdin(): Promise<void>;
  /** Sends a signal to the daemon and waits for the exit. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  /** SIGKILLs the daemon (not the runner) and waits for the exit. */
  kill9(): Promise<Deno.CommandStatus>;
  /** VmRSS/VmHWM of the daemon. */
  memory(): Promise<MemoryInfo>;
}

async function childPids(pid: number): Promise<number[]> {
  const out: number[] = [];
  try {
    for await (const t of Deno.readDir(`/proc/${pid}/task`)) {
      try {
        const text = await Deno.readTextFile(
          `/proc/${pid}/task/${t.name}/children`,
        );
        for (const p of text.trim().split(/\s+/)) if (p) out.push(Number(p));
      } catch {
        // thread gone
      }
    }
  } catch {
    // process gone
  }
  return out;
}

/**
 * Reads VmRSS and VmHWM of a process.
 *
 * @param pid The process.
 * @returns The figures in KiB.
 */
export async function memoryOf(pid: number): Promise<MemoryInfo> {
  const text = await Deno.readTextFile(`/proc/${pid}/status`);
  const get = (k: string) => {
    const m = text.match(new RegExp(`^${k}:\\s+(\\d+) kB`, "m"));
    if (!m) throw new Error(`no ${k} in /proc/${pid}/status`);
    return Number(m[1]);
  };
  return { rssKiB: get("VmRSS"), hwmKiB: get("VmHWM") };
}

/** Resolves after `ms` milliseconds. */
export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** True when something accepts connections on the Unix socket. */
export async function socketAnswers(path: string): Promise<boolean> {
  try {
    const c = await Deno.connect({ transport: "unix", path });
    c.close();
    return true;
  } catch {
    return false;
  }
}

/**
 * The command-line flags {@linkcode startDaemon} passes for a set-up.
 *
 * @param setup The signer.
 * @param opts Daemon options.
 * @returns Flags (without `deno task --quiet stave`).
 */
export function daemonFlags(
  setup: SignerSetup,
  opts: DaemonOptions = {},
): { args: string[]; httpUrl?: string } {
  const args = [
    "--suppress-bootwarn",
    "--configdir",
    setup.configdir,
    "--keystore",
    setup.keystore,
    "--chainid",
    String(opts.chainId ?? DEFAULT_CHAIN_ID),
    "--auditlog",
    join(setup.dirs.root, "audit.log"),
    "--4bytedb-custom",
    join(setup.dirs.root, "4byte-custom.json"),
  ];
  if (opts.lightkdf ?? true) args.push("--lightkdf");
  if (
    (opts.signerSecret ?? setup.masterPasswordFile !== null) &&
    setup.masterPasswordFile !== null
  ) {
    args.push("--signersecret", setup.masterPasswordFile);
  }
  const rules = opts.rules === undefined ? setup.rulesPath : opts.rules;
  if (rules) args.push("--rules", rules);
  let httpUrl: string | undefined;
  if (opts.http) {
    const port = freePort();
    args.push(
      "--http",
      "--http.addr",
      "127.0.0.1",
      "--http.port",
      String(port),
    );
    httpUrl = `http://127.0.0.1:${port}/`;
  }
  args.push(...(opts.extraFlags ?? []));
  return { args, httpUrl };
}

/**
 * Spawns `deno task --quiet stave <flags>` from the repo root with a clean
 * environment, captures stdout/stderr, and (unless `wait: false`) waits until
 * the IPC socket accepts a connection (and HTTP answers its health check).
 *
 * @param setup The signer.
 * @param opts Daemon options.
 * @returns The running daemon.
 * @throws {Error} with the daemon's output if it exits or is not ready in time.
 */
export async function startDaemon(
  setup: SignerSetup,
  opts: DaemonOptions = {},
): Promise<Daemon> {
  const { args, httpUrl } = daemonFlags(setup, opts);
  const ipcPath = join(setup.configdir, "clef.ipc");
  const env: Record<string, string> = {
    PATH: Deno.env.get("PATH") ?? "/usr/bin:/bin",
    DENO_DIR: await denoDir(),
    DENO_NO_UPDATE_CHECK: "1",
    HOME: setup.home,
    ...opts.env,
  };
  const stdinMode = opts.stdin ?? "null";
  const process = new Deno.Command(Deno.execPath(), {
    args: ["task", "--quiet", "stave", ...args],
    cwd: ROOT,
    clearEnv: true,
    env,
    stdin: stdinMode === "pipe" ? "piped" : "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let stderr = "";
  let stdout = "";
  const collect = async (
    s: ReadableStream<Uint8Array>,
    add: (t: string) => void,
  ) => {
    const dec = new TextDecoder();
    try {
      for await (const chunk of s) add(dec.decode(chunk, { stream: true }));
    } catch {
      // stream closed
    }
  };
  const pumps = Promise.all([
    collect(process.stderr, (t) => stderr += t),
    collect(process.stdout, (t) => stdout += t),
  ]);
  let exited = false;
  const status = process.status.then(async (s) => {
    exited = true;
    await pumps;
    return s;
  });
  const writer = stdinMode === "pipe" ? process.stdin.getWriter() : undefined;
  let pidCache: number | undefined;
  const daemonPid = async (): Promise<number> => {
    if (pidCache !== undefined) return pidCache;
    for (let i = 0; i < 200; i++) {
      const kids = await childPids(process.pid);
      if (kids.length > 0) return pidCache = kids[0];
      if (exited) break;
      await sleep(10);
    }
    throw new Error("daemon process not found under the task runner");
  };
  const daemon: Daemon = {
    ipcPath,
    httpUrl,
    process,
    status,
    args,
    daemonPid,
    stderrText: () => stderr,
    stdoutText: () => stdout,
    async writeStdin(text) {
      if (!writer) throw new Error("stdin is not a pipe");
      await writer.write(new TextEncoder().encode(text));
    },
    async closeStdin() {
      await writer?.close().catch(() => {});
    },
    async stop(signal = "SIGTERM") {
      if (!exited) {
        try {
          Deno.kill(await daemonPid(), signal);
        } catch {
          // already gone
        }
      }
      const s = await status;
      await writer?.close().catch(() => {});
      return s;
    },
    async kill9() {
      if (!exited) {
        try {
          Deno.kill(await daemonPid(), "SIGKILL");
        } catch {
          // already gone
        }
      }
      const s = await status;
      await writer?.close().catch(() => {});
      return s;
    },
    async memory() {
      return memoryOf(await daemonPid());
    },
  };
  if (opts.wait ?? true) {
    const deadline = Date.now() + (opts.readyTimeoutMs ?? 30_000);
    let ready = false;
    while (Date.now() < deadline && !exited) {
      if (await socketAnswers(ipcPath)) {
        ready = true;
        break;
      }
      await sleep(25);
    }
    if (ready && httpUrl) {
      ready = false;
      while (Date.now() < deadline && !exited) {
        try {
          const r = await fetch(httpUrl);
          await r.body?.cancel();
          ready = true;
          break;
        } catch {
          await sleep(25);
        }
      }
    }
    if (!ready) {
      if (!exited) await daemon.kill9();
      const s = await status;
      throw new Error(
        `daemon not ready (exit ${s.code}, signal ${s.signal})\nargs: ${
          args.join(" ")
        }\n--- stdout\n${stdout}\n--- stderr\n${stderr}`,
      );
    }
    await daemonPid();
  }
  return daemon;
}

// ---------------------------------------------------------------------------
// JSON-RPC clients

/** A JSON-RPC error object. */
export interface RpcError {
  /** Code. */
  code: number;
  /** Message. */
  message: string;
  /** Optional data. */
  data?: unknown;
}

/** A JSON-RPC response envelope. */
export interface RpcResponse {
  /** Always "2.0". */
  jsonrpc: string;
  /** The echoed id. */
  id: unknown;
  /** Result on success. */
  result?: unknown;
  /** Error on failure. */
  error?: RpcError;
}

/** A call that came back with a JSON-RPC error. */
export class RpcCallError extends Error {
  /** The error object. */
  readonly rpc: RpcError;
  /** @param rpc The error object. */
  constructor(rpc: RpcError) {
    super(`${rpc.code}: ${rpc.message}`);
    this.rpc = rpc;
  }
}

/**
 * Splits a text into complete JSON values (any whitespace between them);
 * returns the values and the unconsumed rest.
 *
 * @param text Buffered text.
 * @returns Complete value texts and the remainder.
 */
export function splitJsonValues(
  text: string,
): { values: string[]; rest: string } {
  const values: string[] = [];
  let i = 0;
  const n = text.length;
  outer: while (i < n) {
    while (i < n && /\s/.test(text[i])) i++;
    if (i >= n) break;
    const start = i;
    const c = text[i];
    if (c === "{" || c === "[") {
      let depth = 0;
      let inStr = false;
      for (; i < n; i++) {
        const ch = text[i];
        if (inStr) {
          if (ch === "\\") i++;
          else if (ch === '"') inStr = false;
        } else if (ch === '"') inStr = true;
        else if (ch === "{" || ch === "[") depth++;
        else if (ch === "}" || ch === "]") {
          depth--;
          if (depth === 0) {
            i++;
            values.push(text.slice(start, i));
            continue outer;
          }
        }
      }
      return { values, rest: text.slice(start) };
    } else if (c === '"') {
      for (i++; i < n; i++) {
        if (text[i] === "\\") i++;
        else if (text[i] === '"') {
          i++;
          values.push(text.slice(start, i));
          continue outer;
        }
      }
      return { values, rest: text.slice(start) };
    } else {
      while (i < n && !/[\s{}\[\]",]/.test(text[i])) i++;
      if (i >= n) return { values, rest: text.slice(start) };
      values.push(text.slice(start, i));
    }
  }
  return { values, rest: "" };
}

/**
 * A JSON-RPC client over the Unix socket that frames like go-ethereum's
 * client: one JSON text per line out, ids integers from 1, `params`
 * omitted when there are no arguments; responses read as a stream of JSON
 * values and matched by id (batches in order of sending).
 */
export class IpcClient {
  #conn: Deno.UnixConn;
  #nextId = 1;
  #pending = new Map<number, (r: RpcResponse) => void>();
  #batches: ((r: RpcResponse[]) => void)[] = [];
  #others: unknown[] = [];
  #otherWaiters: (() => void)[] = [];
  #writeChain: Promise<void> = Promise.resolve();
  /** Resolves when the server closed the connection (EOF or error). */
  readonly closed: Promise<void>;
  #isClosed = false;

  private constructor(conn: Deno.UnixConn) {
    this.#conn = conn;
    this.closed = this.#readLoop();
  }

  /**
   * Connects.
   *
   * @param path Socket path.
   * @returns The client.
   */
  static async connect(path: string): Promise<IpcClient> {
    const conn = await Deno.connect({ transport: "unix", path });
    return new IpcClient(conn);
  }

  /** True once the server closed the connection. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  async #readLoop(): Promise<void> {
    const dec = new TextDecoder();
    let buf = "";
    try {
      for await (const chunk of this.#conn.readable) {
        buf += dec.decode(chunk, { stream: true });
        const { values, rest } = splitJsonValues(buf);
        buf = rest;
        for (const v of values) this.#dispatch(JSON.parse(v));
      }
    } catch {
      // reset by peer etc.
    } finally {
      this.#isClosed = true;
      const err: RpcResponse = {
        jsonrpc: "2.0",
        id: null,
        error: { code: -1, message: "connection closed" },
      };
      for (const r of this.#pending.values()) r(err);
      this.#pending.clear();
      for (const b of this.#batches) b([err]);
      this.#batches = [];
      for (const w of this.#otherWaiters) w();
    }
  }

  #dispatch(v: unknown): void {
    if (Array.isArray(v)) {
      const b = this.#batches.shift();
      if (b) return b(v as RpcResponse[]);
    } else if (v !== null && typeof v === "object") {
      const id = (v as RpcResponse).id;
      if (typeof id === "number" && this.#pending.has(id)) {
        const r = this.#pending.get(id)!;
        this.#pending.delete(id);
        return r(v as RpcResponse);
      }
    }
    this.#others.push(v);
    const ws = this.#otherWaiters;
    this.#otherWaiters = [];
    for (const w of ws) w();
  }

  /**
   * Writes raw bytes (for malformed input).
   *
   * @param data Text or bytes.
   */
  sendRaw(data: string | Uint8Array): Promise<void> {
    const bytes = typeof data === "string"
      ? new TextEncoder().encode(data)
      : data;
    const p = this.#writeChain.then(async () => {
      let off = 0;
      while (off < bytes.length) {
        off += await this.#conn.write(bytes.subarray(off));
      }
    });
    this.#writeChain = p.catch(() => {});
    return p;
  }

  /**
   * Sends one call and waits for its response envelope.
   *
   * @param method Method name.
   * @param params Positional arguments (omitted from the request when undefined).
   * @returns The response envelope.
   */
  request(method: string, params?: unknown[]): Promise<RpcResponse> {
    const id = this.#nextId++;
    const msg: Record<string, unknown> = { jsonrpc: "2.0", id, method };
    if (params !== undefined && params.length > 0) msg.params = params;
    const p = new Promise<RpcResponse>((res) => this.#pending.set(id, res));
    this.sendRaw(JSON.stringify(msg) + "\n").catch(() => {});
    return p;
  }

  /**
   * Sends one call; returns its result or throws {@linkcode RpcCallError}.
   *
   * @param method Method name.
   * @param params Positional arguments.
   * @returns The result.
   */
  async call<T = unknown>(method: string, params?: unknown[]): Promise<T> {
    const r = await this.request(method, params);
    if (r.error) throw new RpcCallError(r.error);
    return r.result as T;
  }

  /**
   * Sends a batch (ids assigned from the counter) and waits for the array.
   *
   * @param calls Method and params of each call.
   * @returns The response array.
   */
  batch(
    calls: { method: string; params?: unknown[] }[],
  ): Promise<RpcResponse[]> {
    const msgs = calls.map((c) => {
      const m: Record<string, unknown> = {
        jsonrpc: "2.0",
        id: this.#nextId++,
        method: c.method,
      };
      if (c.params !== undefined && c.params.length > 0) m.params = c.params;
      return m;
    });
    const p = new Promise<RpcResponse[]>((res) => this.#batches.push(res));
    this.sendRaw(JSON.stringify(msgs) + "\n").catch(() => {});
    return p;
  }

  /**
   * Waits for a value that matched no pending call (e.g. an id-null error).
   *
   * @param timeoutMs Bound of the wait.
   * @returns The value, or undefined on timeout / close.
   */
  async nextUnmatched(timeoutMs = 5000): Promise<unknown> {
    const deadline = Date.now() + timeoutMs;
    while (
      this.#others.length === 0 && !this.#isClosed && Date.now() < deadline
    ) {
      await Promise.race([
        new Promise<void>((r) => this.#otherWaiters.push(r)),
        sleep(Math.max(1, deadline - Date.now())),
      ]);
    }
    return this.#others.shift();
  }

  /** Closes the connection. */
  close(): void {
    try {
      this.#conn.close();
    } catch {
      // already closed
    }
  }
}

/** An HTTP answer. */
export interface HttpAnswer {
  /** Status code. */
  status: number;
  /** Response headers. */
  headers: Headers;
  /** Body text. */
  text: string;
}

/**
 * POSTs a body (default content type `application/json`).
 *
 * @param url Endpoint.
 * @param body Body text or bytes.
 * @param headers Extra/overriding headers.
 * @returns Status, headers and body text.
 */
export async function httpPost(
  url: string,
  body: string | Uint8Array,
  headers: Record<string, string> = {},
): Promise<HttpAnswer> {
  const r = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: body as BodyInit,
  });
  return { status: r.status, headers: r.headers, text: await r.text() };
}

// ---------------------------------------------------------------------------
// Clique headers (independent of src/: ethers RLP + keccak)

/** A Clique header (pre-London: no `baseFee`; London: with `baseFee`). */
export interface CliqueHeader {
  /** 0x + 64 hex. */
  parentHash: string;
  /** 0x + 64 hex. */
  uncleHash: string;
  /** 0x + 40 hex. */
  coinbase: string;
  /** 0x + 64 hex. */
  root: string;
  /** 0x + 64 hex. */
  txHash: string;
  /** 0x + 64 hex. */
  receiptHash: string;
  /** 0x + 512 hex. */
  bloom: string;
  /** Difficulty (1 out of turn, 2 in turn). */
  difficulty: bigint;
  /** Block number. */
  number: bigint;
  /** Gas limit. */
  gasLimit: bigint;
  /** Gas used. */
  gasUsed: bigint;
  /** Timestamp. */
  time: bigint;
  /** Extra data as geth sends it (vanity, plus signers at checkpoints; no seal). */
  extra: string;
  /** 0x + 64 hex. */
  mixDigest: string;
  /** 0x + 16 hex. */
  nonce: string;
  /** London base fee, absent before London. */
  baseFee?: bigint;
}

const EMPTY_UNCLE_HASH =
  "0x1dcc4de8dec75d7aab85b567b6ccd41ad312451b948a7413f0a142fd40d49347";
const EMPTY_ROOT =
  "0x56e81f171bcc55a6ff8345e692c0f86e5b48e01b996cadc001622fb5e363b421";

function quantity(n: bigint): string {
  return n === 0n ? "0x" : toBeHex(n);
}

/**
 * Makes a header at a height with plausible fields.
 *
 * @param number Block number.
 * @param over Fields to override (e.g. `parentHash`, `time`, `baseFee`).
 * @returns The header.
 */
export function cliqueHeader(
  number: bigint | number,
  over: Partial<CliqueHeader> = {},
): CliqueHeader {
  const n = BigInt(number);
  return {
    parentHash: "0x" + "00".repeat(32),
    uncleHash: EMPTY_UNCLE_HASH,
    coinbase: "0x" + "00".repeat(20),
    root: keccak256(new TextEncoder().encode(`state ${n}`)),
    txHash: EMPTY_ROOT,
    receiptHash: EMPTY_ROOT,
    bloom: "0x" + "00".repeat(256),
    difficulty: 2n,
    number: n,
    gasLimit: 30_000_000n,
    gasUsed: 0n,
    time: 1_700_000_000n + n * 15n,
    extra: "0x" + "d8".padEnd(64, "0"),
    mixDigest: "0x" + "00".repeat(32),
    nonce: "0x" + "00".repeat(8),
    ...over,
  };
}

function headerList(h: CliqueHeader, extra: string): string[] {
  const list = [
    h.parentHash,
    h.uncleHash,
    h.coinbase,
    h.root,
    h.txHash,
    h.receiptHash,
    h.bloom,
    quantity(h.difficulty),
    quantity(h.number),
    quantity(h.gasLimit),
    quantity(h.gasUsed),
    quantity(h.time),
    extra,
    h.mixDigest,
    h.nonce,
  ];
  if (h.baseFee !== undefined) list.push(quantity(h.baseFee));
  return list;
}

/**
 * geth's `CliqueRLP`: the header RLP with `extra` as given (no seal) — what
 * geth sends as `application/x-clique-header` data.
 *
 * @param h The header.
 * @returns 0x hex RLP.
 */
export function cliqueRlp(h: CliqueHeader): string {
  return encodeRlp(headerList(h, h.extra));
}

/**
 * The Clique seal hash (signing.md §2.1 steps 5–6): keccak of the RLP of the
 * header whose extra is the received extra (the 65 appended zero bytes
 * removed again), with `baseFee` only when present.
 *
 * @param h The header.
 * @returns 0x hex hash.
 */
export function cliqueSealHash(h: CliqueHeader): string {
  return keccak256(encodeRlp(headerList(h, h.extra)));
}

/**
 * The block hash of the sealed header (extra ‖ seal), used as the next
 * header's parent hash.
 *
 * @param h The header.
 * @param seal 0x + 130 hex signature.
 * @returns 0x hex hash.
 */
export function sealedBlockHash(h: CliqueHeader, seal: string): string {
  return keccak256(encodeRlp(headerList(h, h.extra + seal.slice(2))));
}

/**
 * Checks a Clique seal as a verifying node does: 65 bytes, V in {0,1},
 * signer recovered from the seal hash with ethers.
 *
 * @param h The header that was sent.
 * @param seal The `account_signData` result.
 * @returns The checksummed signer address.
 * @throws {Error} when the format is wrong.
 */
export function recoverCliqueSigner(h: CliqueHeader, seal: string): string {
  if (typeof seal !== "string" || !/^0x[0-9a-f]{130}$/i.test(seal)) {
    throw new Error(`seal is not 65 bytes of hex: ${seal}`);
  }
  const v = parseInt(seal.slice(130), 16);
  if (v !== 0 && v !== 1) throw new Error(`seal V is ${v}, want 0 or 1`);
  const sig = Signature.from({
    r: "0x" + seal.slice(2, 66),
    s: "0x" + seal.slice(66, 130),
    yParity: v as 0 | 1,
  });
  return getAddress(recoverAddress(cliqueSealHash(h), sig));
}

// ---------------------------------------------------------------------------
// Misc

/**
 * A small seeded PRNG (mulberry32) for reproducible "random" moments.
 *
 * @param seed 32-bit seed.
 * @returns A function giving floats in [0, 1).
 */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * The `p`-quantile (nearest rank) of sorted numbers.
 *
 * @param sorted Ascending values.
 * @param p In [0, 1].
 * @returns The value.
 */
export function quantile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const k = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil(p * sorted.length) - 1),
  );
  return sorted[k];
}

/**
 * Hex of UTF-8 text, 0x-prefixed (what geth sends as message data).
 *
 * @param text The text.
 * @returns 0x hex.
 */
export function hexOfText(text: string): string {
  return "0x" +
    Array.from(
      new TextEncoder().encode(text),
      (b) => b.toString(16).padStart(2, "0"),
    )
      .join("");
}
