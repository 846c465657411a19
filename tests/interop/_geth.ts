/**
 * Harness of the tests with real geth (the pinned v1.13.15): the Clique
 * signing guide's steps (`geth account new`, a genesis, `geth init`, stave
 * `init`/`setpw`/`attest`, the daemon, `geth --signer … --mine`), a geth
 * node offline on loopback, and checks of what it sealed with an
 * independent library (ethers v6: the sealer recovered from the header
 * fields and seal of each block, the block hash recomputed).
 *
 * @module
 */
import { join } from "node:path";
import { ok, strictEqual } from "node:assert/strict";
import { getAddress } from "ethers";
import { lines, type RunResult, runStave, tempDirs } from "../_util.ts";
import {
  type CliqueHeader,
  cliqueRlp,
  IpcClient,
  recoverCliqueSigner,
  sealedBlockHash,
  type SignerSetup,
  sleep,
  socketAnswers,
} from "../_daemon.ts";
import { peerBinary } from "./_peers.ts";

/** The guide's key password (`geth account new`). */
export const GUIDE_PASSWORD = "testtesttest";
/** The guide's chain id. */
export const GUIDE_CHAIN_ID = 15;
/** The master password of every stave in these tests. */
export const MASTER = "interop master password";

/** The pinned geth binary. */
export function gethBinary(): string {
  return peerBinary("geth");
}

function must(r: RunResult, what: string): RunResult {
  if (r.code !== 0) {
    throw new Error(
      `${what} exited ${r.code}\n--- stdout\n${r.stdout}\n--- stderr\n${r.stderr}`,
    );
  }
  return r;
}

async function runGeth(args: string[], stdin = ""): Promise<RunResult> {
  const child = new Deno.Command(gethBinary(), {
    args,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const w = child.stdin.getWriter();
  await w.write(new TextEncoder().encode(stdin)).catch(() => {});
  await w.close().catch(() => {});
  const out = await child.output();
  const dec = new TextDecoder();
  return {
    code: out.code,
    stdout: dec.decode(out.stdout),
    stderr: dec.decode(out.stderr),
  };
}

/**
 * `geth account new --datadir <datadir>` with the guide's password typed
 * twice (piped); standard scrypt, as the guide's key file.
 *
 * @param datadir geth's data folder.
 * @returns The checksummed address.
 */
export async function gethAccountNew(datadir: string): Promise<string> {
  const r = must(
    await runGeth(
      ["account", "new", "--datadir", datadir],
      lines(GUIDE_PASSWORD, GUIDE_PASSWORD),
    ),
    "geth account new",
  );
  const m = (r.stdout + r.stderr).match(
    /Public address of the key:\s+(0x[0-9a-fA-F]{40})/,
  );
  if (!m) throw new Error(`geth account new printed no address:\n${r.stdout}`);
  return getAddress(m[1]);
}

/** Options of {@linkcode cliqueGenesis}. */
export interface GenesisOptions {
  /** Clique period in seconds (the guide: 30; tests: 1). */
  period?: number;
  /** Add `londonBlock: 0` (blocks carry a base fee). */
  london?: boolean;
}

/**
 * The guide's genesis (chain id 15, Clique, all forks to Berlin at 0, the
 * signers in `extradata`, funds for the first signer), with a short period.
 *
 * @param signers The genesis signers.
 * @param opts Period and London.
 * @returns The genesis JSON object.
 */
export function cliqueGenesis(
  signers: string[],
  opts: GenesisOptions = {},
): Record<string, unknown> {
  const sorted = signers.map((s) => s.toLowerCase().slice(2)).sort();
  const config: Record<string, unknown> = {
    chainId: GUIDE_CHAIN_ID,
    homesteadBlock: 0,
    eip150Block: 0,
    eip155Block: 0,
    eip158Block: 0,
    byzantiumBlock: 0,
    constantinopleBlock: 0,
    petersburgBlock: 0,
    istanbulBlock: 0,
    berlinBlock: 0,
  };
  if (opts.london) config.londonBlock = 0;
  config.clique = { period: opts.period ?? 1, epoch: 30000 };
  const alloc: Record<string, unknown> = {};
  for (const s of signers) {
    alloc[s] = { balance: "300000000000000000000000000000000000" };
  }
  return {
    config,
    difficulty: "1",
    gasLimit: "8000000",
    extradata: "0x" + "00".repeat(32) + sorted.join("") + "00".repeat(65),
    alloc,
  };
}

/**
 * Writes the genesis and runs `geth --datadir <datadir> init genesis.json`.
 *
 * @param datadir geth's data folder.
 * @param genesis The genesis object.
 */
export async function gethInit(
  datadir: string,
  genesis: Record<string, unknown>,
): Promise<void> {
  const path = join(datadir, "..", `genesis-${crypto.randomUUID()}.json`);
  await Deno.writeTextFile(path, JSON.stringify(genesis, null, 2));
  must(await runGeth(["--datadir", datadir, "init", path]), "geth init");
}

/** Options of {@linkcode setupGuideSigner}. */
export interface GuideSignerOptions {
  /** Rules file to attest (none: no `attest`). */
  rules?: string;
  /** false: manual mode, no `init`/`setpw` (default true). */
  vault?: boolean;
}

/**
 * A stave for a geth data folder, set up with the guide's commands:
 * `init` (master password twice), then the quick version with
 * `--signersecret <password file>`: `setpw <address>` (key password twice)
 * and `attest <rules file>`. The keystore is geth's (`<datadir>/keystore`).
 *
 * @param datadir geth's data folder (its keystore holds the key).
 * @param address The sealer.
 * @param opts Rules and vault.
 * @returns A set-up {@linkcode startDaemon} accepts (`--chainid 15` there).
 */
export async function setupGuideSigner(
  datadir: string,
  address: string,
  opts: GuideSignerOptions = {},
): Promise<SignerSetup> {
  const dirs = await tempDirs();
  const keystore = join(datadir, "keystore");
  const base = [
    "--suppress-bootwarn",
    "--keystore",
    keystore,
    "--configdir",
    dirs.configdir,
    "--chainid",
    String(GUIDE_CHAIN_ID),
  ];
  const run = (args: string[], stdin = "") =>
    runStave([...base, ...args], { stdin, home: dirs.home });
  let masterPasswordFile: string | null = null;
  if (opts.vault ?? true) {
    must(await run(["init"], lines(MASTER, MASTER)), "stave init");
    masterPasswordFile = join(dirs.root, "master-password");
    await Deno.writeTextFile(masterPasswordFile, MASTER + "\n", {
      mode: 0o600,
    });
    await Deno.chmod(masterPasswordFile, 0o600);
    const secret = ["--signersecret", masterPasswordFile];
    must(
      await run(
        [...secret, "setpw", address],
        lines(GUIDE_PASSWORD, GUIDE_PASSWORD),
      ),
      "stave setpw",
    );
    if (opts.rules) {
      must(await run([...secret, "attest", opts.rules]), "stave attest");
    }
  }
  return {
    dirs,
    configdir: dirs.configdir,
    keystore,
    home: dirs.home,
    address,
    masterPasswordFile,
    rulesPath: opts.rules,
    cleanup: () => dirs.cleanup().catch(() => {}),
  };
}

/** Options of {@linkcode GethNode.start}. */
export interface GethOptions {
  /** geth's data folder. */
  datadir: string;
  /** stave's socket (`--signer`); none for a follower. */
  signer?: string;
  /** `--miner.etherbase` (the sealer); none for a follower. */
  etherbase?: string;
  /** Start with `--mine` (default true). */
  mine?: boolean;
  /** Peers allowed (default 0: alone). */
  maxPeers?: number;
  /** More flags. */
  extra?: string[];
}

/** A geth node running offline on loopback. */
export class GethNode {
  /** geth's own IPC socket. */
  readonly ipcPath: string;
  /** The arguments it was started with. */
  readonly args: string[];
  readonly #child: Deno.ChildProcess;
  readonly #status: Promise<Deno.CommandStatus>;
  #log = "";
  #exited = false;
  #client?: IpcClient;

  private constructor(args: string[], ipcPath: string) {
    this.args = args;
    this.ipcPath = ipcPath;
    this.#child = new Deno.Command(gethBinary(), {
      args,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
    }).spawn();
    const collect = async (s: ReadableStream<Uint8Array>) => {
      const dec = new TextDecoder();
      for await (const c of s) this.#log += dec.decode(c, { stream: true });
    };
    const done = Promise.all([
      collect(this.#child.stdout),
      collect(this.#child.stderr),
    ]);
    this.#status = this.#child.status.then(async (s) => {
      this.#exited = true;
      await done.catch(() => {});
      return s;
    });
  }

  /**
   * Starts `geth --datadir D --signer S --mine` plus what geth 1.13 needs
   * offline on loopback: no discovery, no NAT, P2P and engine API on free
   * ports, HTTP off, its IPC socket in the data folder, the network id.
   *
   * @param opts The node.
   * @returns The node, once its IPC socket answers.
   */
  static async start(opts: GethOptions): Promise<GethNode> {
    const ipcPath = join(opts.datadir, "geth.ipc");
    const args = [
      "--datadir",
      opts.datadir,
      ...(opts.signer ? ["--signer", opts.signer] : []),
      "--networkid",
      String(GUIDE_CHAIN_ID),
      "--nodiscover",
      "--nat",
      "none",
      "--maxpeers",
      String(opts.maxPeers ?? 0),
      "--port",
      "0",
      "--authrpc.addr",
      "127.0.0.1",
      "--authrpc.port",
      "0",
      "--ipcpath",
      ipcPath,
      "--syncmode",
      "full",
      "--cache",
      "128",
      ...(opts.etherbase ? ["--miner.etherbase", opts.etherbase] : []),
      ...(opts.mine ?? true ? ["--mine"] : []),
      ...(opts.extra ?? []),
    ];
    const node = new GethNode(args, ipcPath);
    const deadline = Date.now() + 60_000;
    while (!(await socketAnswers(ipcPath))) {
      if (node.#exited || Date.now() > deadline) {
        await node.stop();
        throw new Error(`geth did not start\n${node.log()}`);
      }
      await sleep(100);
    }
    return node;
  }

  /** Everything geth logged so far. */
  log(): string {
    return this.#log;
  }

  /** The last lines of the log (for failure messages). */
  logTail(n = 40): string {
    return this.#log.split("\n").slice(-n).join("\n");
  }

  /**
   * Calls a method on geth's IPC.
   *
   * @param method Method name.
   * @param params Arguments.
   * @returns The result.
   */
  async call<T = unknown>(method: string, params?: unknown[]): Promise<T> {
    if (!this.#client || this.#client.isClosed) {
      this.#client = await IpcClient.connect(this.ipcPath);
    }
    return await this.#client.call<T>(method, params);
  }

  /** The head's number. */
  async blockNumber(): Promise<number> {
    return Number(await this.call<string>("eth_blockNumber"));
  }

  /**
   * Waits until the head reaches a height (bounded to catch hangs only).
   *
   * @param n The height.
   * @param timeoutMs Bound of the wait.
   */
  async waitForBlock(n: number, timeoutMs = 240_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const h = await this.blockNumber();
      if (h >= n) return;
      if (this.#exited || Date.now() > deadline) {
        throw new Error(
          `geth at block ${h}, waited for ${n}\n${this.logTail()}`,
        );
      }
      await sleep(250);
    }
  }

  /** SIGTERM, then SIGKILL after 60 s; resolves with the exit status. */
  async stop(): Promise<Deno.CommandStatus> {
    this.#client?.close();
    if (!this.#exited) {
      try {
        this.#child.kill("SIGTERM");
      } catch {
        // gone
      }
      const t = setTimeout(() => {
        try {
          this.#child.kill("SIGKILL");
        } catch {
          // gone
        }
      }, 60_000);
      try {
        return await this.#status;
      } finally {
        clearTimeout(t);
      }
    }
    return await this.#status;
  }
}

/** A block as geth's `eth_getBlockByNumber` returns it (the fields used). */
export interface GethBlock {
  /** Block hash. */
  hash: string;
  /** Fields of the header. */
  parentHash: string;
  sha3Uncles: string;
  miner: string;
  stateRoot: string;
  transactionsRoot: string;
  receiptsRoot: string;
  logsBloom: string;
  difficulty: string;
  number: string;
  gasLimit: string;
  gasUsed: string;
  timestamp: string;
  extraData: string;
  mixHash: string;
  nonce: string;
  baseFeePerGas?: string;
  withdrawalsRoot?: string;
  /** Transaction hashes. */
  transactions: string[];
}

/** A block checked by {@linkcode checkSealedBlock}. */
export interface SealedBlock {
  /** The block. */
  block: GethBlock;
  /** The header as geth sent it to the signer (extra without the seal). */
  header: CliqueHeader;
  /** The sealer recovered with ethers. */
  sealer: string;
  /** 1 (out of turn) or 2 (in turn). */
  difficulty: number;
}

/**
 * Fetches a block and checks its seal independently of geth and stave: the
 * header rebuilt from the JSON fields (extra without its last 65 bytes),
 * its RLP with the seal hashes to the block hash, the sealer recovered from
 * the seal with ethers, and the same sealer from `clique_getSigner`.
 *
 * @param node The geth node.
 * @param n The height.
 * @returns The block, the header geth signed, the sealer.
 */
export async function checkSealedBlock(
  node: GethNode,
  n: number,
): Promise<SealedBlock> {
  const block = await node.call<GethBlock>("eth_getBlockByNumber", [
    "0x" + n.toString(16),
    false,
  ]);
  ok(block, `no block ${n}`);
  ok(block.withdrawalsRoot === undefined, "no Shanghai fields in Clique");
  const extra = block.extraData;
  ok(extra.length >= 2 + 130, `block ${n} extra too short: ${extra}`);
  const header: CliqueHeader = {
    parentHash: block.parentHash,
    uncleHash: block.sha3Uncles,
    coinbase: block.miner,
    root: block.stateRoot,
    txHash: block.transactionsRoot,
    receiptHash: block.receiptsRoot,
    bloom: block.logsBloom,
    difficulty: BigInt(block.difficulty),
    number: BigInt(block.number),
    gasLimit: BigInt(block.gasLimit),
    gasUsed: BigInt(block.gasUsed),
    time: BigInt(block.timestamp),
    extra: extra.slice(0, extra.length - 130),
    mixDigest: block.mixHash,
    nonce: block.nonce,
    ...(block.baseFeePerGas === undefined
      ? {}
      : { baseFee: BigInt(block.baseFeePerGas) }),
  };
  const seal = "0x" + extra.slice(extra.length - 130);
  strictEqual(
    sealedBlockHash(header, seal),
    block.hash,
    `block ${n}: header rebuilt from its fields hashes to the block hash`,
  );
  const sealer = recoverCliqueSigner(header, seal);
  const viaGeth = await node.call<string>("clique_getSigner", [block.hash]);
  strictEqual(getAddress(viaGeth), sealer, `clique_getSigner of block ${n}`);
  return { block, header, sealer, difficulty: Number(block.difficulty) };
}

/** One `SignData` pair of the audit log. */
export interface AuditedSignData {
  /** The `data` parameter as sent (the header RLP for Clique). */
  data: string;
  /** The content type. */
  contentType: string;
}

/**
 * The `account_signData` requests of a stave audit log (`msg=SignData
 * type=request`), and how many responses carried no error.
 *
 * @param path The audit log.
 * @returns Requests in order and the count of successful responses.
 */
export async function auditedSignData(
  path: string,
): Promise<{ requests: AuditedSignData[]; okResponses: number }> {
  const text = await Deno.readTextFile(path);
  const requests: AuditedSignData[] = [];
  let okResponses = 0;
  for (const l of text.split("\n")) {
    if (!l.includes(" msg=SignData ")) continue;
    if (l.includes(" type=request ")) {
      const d = l.match(/ data="\\"(0x[0-9a-f]*)\\"" /);
      const c = l.match(/ content-type=(\S+)/);
      ok(d && c, `audit line not understood: ${l}`);
      requests.push({ data: d[1], contentType: c[1] });
    } else if (l.includes(" type=response ") && l.endsWith(" error=<nil>")) {
      okResponses++;
    }
  }
  return { requests, okResponses };
}

/**
 * The header RLP geth sends for a block (`CliqueRLP`), to find it in an
 * audit log.
 *
 * @param b A checked block.
 * @returns 0x hex, lowercase.
 */
export function signedRlp(b: SealedBlock): string {
  return cliqueRlp(b.header).toLowerCase();
}
