/**
 * The signer daemon (`stave` without a command, spec cli.md §4.4), in
 * clef's start-up order, with stave's changes: fail fast (an unusable
 * vault or rules file ends the daemon with status 1 and a message that
 * says what to run), graceful SIGINT/SIGTERM, SIGHUP rules reload,
 * sd_notify readiness, logs on stderr (journald priorities under systemd).
 *
 * Contract with `main.ts`: positional arguments were already rejected and
 * the boot warning was shown through the shared terminal, which the
 * daemon keeps using for every stdin read.
 *
 * @module
 */
import { dirname, join, resolve } from "node:path";
import { sha256 } from "@noble/hashes/sha2.js";
import { fromHex, toHex } from "../_bytes.ts";
import { toChecksumAddress } from "../address.ts";
import { EXIT_CONFIG, FatalError } from "../errors.ts";
import { staveCommandLine } from "./hint.ts";
import { type JsonValue, parseJson } from "../json.ts";
import { Logger } from "../log.ts";
import {
  LIGHT_SCRYPT_N,
  LIGHT_SCRYPT_P,
  STANDARD_SCRYPT_N,
  STANDARD_SCRYPT_P,
} from "../keystore/kdf.ts";
import { decryptMasterSeed } from "../vault/master_seed.ts";
import { FourByteDb, parseCustomDatabase } from "../signing/fourbyte.ts";
import { CustomFourByteFile } from "./fourbyte_file.ts";
import { CliUi } from "../ui/cli_ui.ts";
import { StdioUi } from "../ui/stdio_ui.ts";
import { withApprovalTimeout } from "../ui/guarded_ui.ts";
import { runUiSelfTest } from "../ui/ui_test_sequence.ts";
import type { Metadata, Ui, UserInputRequest } from "../ui/ui.ts";
import { RulesEngine, RulesLoadError } from "../rules/engine.ts";
import {
  errorText,
  EXTERNAL_API_VERSION,
  INTERNAL_API_VERSION,
  SignerApi,
} from "../api/external.ts";
import { createInternalApi } from "../api/internal.ts";
import { callMethod, externalMethods } from "../api/rpc_methods.ts";
import { AuditLogger } from "../api/audit_log.ts";
import { CliqueGuard } from "../api/clique_guard.ts";
import { KeyCache, KeyUnlocker } from "../api/key_unlock.ts";
import { currentCallFields, RpcServer } from "../rpc/dispatch.ts";
import type { MetricsServer } from "../rpc/metrics_server.ts";
import { SignerMetrics } from "../api/metrics.ts";
import { CLEF_VERSION, STAVE_VERSION } from "./help.ts";
import {
  cliqueStatusNotifier,
  PART_PROBE_TIMEOUT_MS,
  type PartProbe,
  startMetricsEndpoint,
  startWatchdog,
} from "./observability.ts";
import { type IpcServer, startIpcServer } from "../rpc/unix_server.ts";
import { type HttpServer, startHttpServer } from "../rpc/http_server.ts";
import { sdNotify } from "../rpc/notify.ts";
import { JsonStreamDecoder } from "../json.ts";
import type { GlobalOptions } from "./args.ts";
import { FsKeyStore } from "./fs_key_dir.ts";
import {
  checkPrivateFolder,
  openAppendNoFollow,
  UnsafePathError,
} from "./fs_safety.ts";
import { openVault, readPrivateFile, type Vault } from "./fs_vault.ts";
import type { GuardDb } from "../db/pg.ts";
import { PgGuardBackend } from "../db/pg_guard.ts";
import { PgRuleStorage } from "../db/pg_storage.ts";
import {
  openGuardDb,
  type RuleStorageKey,
  ruleStorageKey,
} from "./guard_db.ts";
import { readSeedAsFlagsSay } from "./secrets.ts";
import {
  processTerminal,
  type StreamFileId,
  streamFileId,
  writeStderr,
  writeStdout,
} from "./terminal.ts";

/**
 * Every global flag's value (cli.md §1.1 and stave's `--keycache`,
 * `--approval-timeout`, `--rules-timeout`, `--clique-guard`); see
 * {@linkcode GlobalOptions} for each field. `signerSecret` is `undefined`
 * when the flag was not given at all.
 */
export type DaemonOptions = GlobalOptions;

/** The prompt clef shows for the master password at daemon start. */
const MASTER_PASSWORD_PROMPT: UserInputRequest = {
  title: "Master Password",
  prompt: "Please enter the password to decrypt the master seed",
  isPassword: true,
};

/** Largest PEM file read for `--http.tls.*`. */
const MAX_PEM_FILE_SIZE = 1 << 20;

/** How long shutdown waits for in-flight requests. */
const SHUTDOWN_GRACE_MS = 10_000;

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch (err) {
    if (err instanceof Deno.errors.NotFound) return false;
    throw err;
  }
}

/** The socket path clef derives from `--ipcpath` and `--configdir`. */
function ipcEndpoint(opts: DaemonOptions): string {
  if (opts.ipcPath !== "") return resolve(join(opts.ipcPath, "clef.ipc"));
  const base = opts.configdir !== ""
    ? opts.configdir
    : (Deno.env.get("TMPDIR") ?? "/tmp");
  return resolve(join(base, "clef.ipc"));
}

/**
 * Whether stderr is the journal: systemd sets `JOURNAL_STREAM=<dev>:<ino>`
 * for the stream it connected; a stderr redirected elsewhere (a file, a
 * pipe) by the service's own command line gets no priority prefixes.
 */
export function journaldStderr(
  journalStream: string | undefined = Deno.env.get("JOURNAL_STREAM"),
  stderr: StreamFileId | undefined = streamFileId(2),
): boolean {
  if (!journalStream || stderr === undefined) return false;
  const [dev, ino] = journalStream.split(":");
  return String(stderr.dev) === dev && String(stderr.ino) === ino;
}

/**
 * Runs the daemon until SIGINT or SIGTERM.
 *
 * @param opts The options.
 * @returns The exit status.
 */
export async function runDaemon(opts: DaemonOptions): Promise<number> {
  const log = new Logger({
    level: opts.loglevel,
    sink: writeStderr,
    journald: journaldStderr(),
    color: Deno.stderr.isTerminal() && Deno.env.get("TERM") !== "dumb",
    format: opts.logFormat,
    context: currentCallFields,
  });
  try {
    return await new Daemon(opts, log).run();
  } catch (err) {
    if (err instanceof FatalError) {
      writeStderr(`Fatal: ${err.message}\n`);
      return EXIT_CONFIG;
    }
    log.crit("Signer failed", { err: errorText(err) });
    return 1;
  }
}

class Daemon {
  readonly #o: DaemonOptions;
  readonly #log: Logger;
  #vault: Vault | undefined;
  /** `--guard-db`: the guard's records and the rules' storage. */
  #db: GuardDb | undefined;
  #dbStorageKey: RuleStorageKey | undefined;
  #rules: RulesEngine | undefined;
  /** `--metrics`: the signer's metrics. */
  #metrics: SignerMetrics | undefined;
  #ipc: IpcServer | undefined;
  #http: HttpServer | undefined;
  #rulesHash = "";
  #cleanup: (() => Promise<void> | void)[] = [];
  /** Aborted on SIGINT/SIGTERM: pending approvals are denied at once. */
  #shutdown = new AbortController();

  constructor(opts: DaemonOptions, log: Logger) {
    this.#o = opts;
    this.#log = log;
  }

  async run(): Promise<number> {
    const o = this.#o;
    const log = this.#log;
    const stopped = this.#listenForSignals();
    log.info(
      o.stdioUi
        ? "Using stdin/stdout as UI-channel"
        : "Using CLI as UI-channel",
    );

    // The UI the person (or the parent process) answers.
    const keystore = new FsKeyStore(o.keystore, {
      scryptN: o.lightKdf ? LIGHT_SCRYPT_N : STANDARD_SCRYPT_N,
      scryptP: o.lightKdf ? LIGHT_SCRYPT_P : STANDARD_SCRYPT_P,
      onSkip: (path, reason) =>
        log.debug("Failed to decode keystore key", { path, err: reason }),
    });
    const listAccounts = async () =>
      (await keystore.accounts()).map((a) => ({
        address: a.address,
        url: a.url,
      }));
    let baseUi: Ui;
    let stdioUi: StdioUi | undefined;
    if (o.stdioUi) {
      stdioUi = new StdioUi({ write: (line) => writeStdout(line) }, {
        logger: log,
      });
      baseUi = stdioUi;
      this.#readStdioUi(stdioUi);
    } else {
      const term = processTerminal();
      baseUi = new CliUi(term, {
        logger: log,
        listAccounts,
        readPassword: (prompt) => term.promptPassword(prompt),
      });
    }

    await this.#checkFolders();
    const fourByte = await this.#loadFourByte();

    if (o.metrics) {
      this.#metrics = new SignerMetrics({
        version: STAVE_VERSION,
        clefVersion: CLEF_VERSION,
        startTimeSeconds: Math.floor(performance.timeOrigin / 1000),
        connections: () => [
          ["ipc", this.#ipc?.connections ?? 0],
          ["http", this.#http?.connections ?? 0],
        ],
      });
    }
    await this.#openVault(baseUi);
    await this.#openGuardDb();
    const guardedUi = withApprovalTimeout(baseUi, o.approvalTimeoutMs, log, {
      shutdown: this.#shutdown.signal,
    });
    let ui: Ui = guardedUi;
    if (o.rules !== "") {
      ui = this.#rules = await this.#loadRules(guardedUi);
    }

    log.info("Starting signer", {
      chainid: o.chainId,
      keystore: keystore.dir,
      "light-kdf": o.lightKdf,
      advanced: o.advanced,
    });
    if (o.advanced) {
      log.info("Clef is in advanced mode: will warn instead of reject");
    }
    const unlocker = new KeyUnlocker();
    const guard = o.cliqueGuard ? this.#cliqueGuard() : undefined;
    const api = new SignerApi({
      ui,
      keystore,
      credentials: this.#vault?.credentials,
      chainId: o.chainId,
      advanced: o.advanced,
      fourByte,
      unlocker,
      keyCache: o.keyCache ? new KeyCache() : undefined,
      observer: this.#metrics,
      cliqueGuard: guard,
      logger: log,
    });
    const sealed = cliqueStatusNotifier();
    this.#cleanup.push(() => api.close());
    if (o.keyCheck && this.#vault) {
      await this.#checkStoredPasswords(api, keystore);
    }
    stdioUi?.serveInternalApi(createInternalApi(api, keystore));

    const audit = await this.#openAuditLog();
    const rpc = new RpcServer({
      logger: {
        served: (method, reqid, durationMs, error, fields = {}) => {
          this.#metrics?.served({ method, durationMs, error, fields });
          if (
            error === undefined && typeof fields.number === "bigint" &&
            typeof fields.account === "string"
          ) {
            sealed(fields.account, fields.number);
          }
          // method is in the message; reqid, account, number, by follow.
          const { method: _, ...call } = fields;
          const duration = `${durationMs.toFixed(3)}ms`;
          if (error) {
            log.warn(`Served ${method}`, {
              reqid,
              ...call,
              duration,
              err: error.message,
            });
          } else {
            log.debug(`Served ${method}`, { reqid, ...call, duration });
          }
        },
        crashed: (method, error) =>
          log.error("RPC method crashed", { method, err: errorText(error) }),
      },
    });
    const methods = externalMethods(api, audit);
    for (const [name, spec] of Object.entries(methods)) {
      rpc.register(name, spec);
    }

    const probes = this.#healthProbes(guard);
    if (this.#metrics) {
      let endpoint: MetricsServer;
      try {
        endpoint = startMetricsEndpoint({
          host: o.metricsAddr,
          port: o.metricsPort,
          metrics: this.#metrics,
          probes,
        });
      } catch (err) {
        throw new FatalError(
          `Could not start metrics endpoint: ${errorText(err)}`,
        );
      }
      // Before the signing endpoints: once geth can connect, the signer
      // can be watched (the endpoints' own probe reads them at each call).
      log.info("Metrics endpoint opened", { url: `${endpoint.url}metrics` });
      this.#cleanup.unshift(() => endpoint.close());
    }
    let httpUrl = "n/a";
    if (o.http) {
      let http: HttpServer;
      try {
        const tls = await this.#readTlsFiles();
        http = await startHttpServer(rpc, {
          tls,
          host: o.httpAddr,
          port: o.httpPort,
          vhosts: o.httpVhosts.split(",").map((h) => h.trim()).filter((h) =>
            h !== ""
          ),
          log: (m) => log.warn(m),
        });
      } catch (err) {
        throw new FatalError(`Could not start RPC api: ${errorText(err)}`);
      }
      httpUrl = http.url;
      this.#http = http;
      log.info("HTTP endpoint opened", { url: httpUrl });
      this.#cleanup.unshift(async () => {
        await http.close({ graceMs: SHUTDOWN_GRACE_MS });
        log.info("HTTP endpoint closed", { url: httpUrl });
      });
    }
    let ipcPath = "n/a";
    if (!o.ipcDisable) {
      const path = ipcEndpoint(o);
      let ipc: IpcServer;
      try {
        ipc = await startIpcServer(path, rpc, {
          log: (m) => log.warn(m),
        });
      } catch (err) {
        throw new FatalError(`Could not start IPC api: ${errorText(err)}`);
      }
      ipcPath = path;
      this.#ipc = ipc;
      log.info("IPC endpoint opened", { url: path });
      this.#cleanup.unshift(async () => {
        await ipc.close({ graceMs: SHUTDOWN_GRACE_MS });
        log.info("IPC endpoint closed", { url: path });
      });
    }

    if (o.stdioUiTest) {
      log.info("Performing UI test");
      const call = (name: string, args: JsonValue[], meta: Metadata) =>
        callMethod(methods[name], args, meta);
      runUiSelfTest(ui, {
        signData: (ct, addr, data, meta) =>
          call("account_signData", [ct, addr, data], meta),
        signTypedData: (addr, td, meta) =>
          call("account_signTypedData", [addr, td], meta),
        signTransaction: (args, meta) =>
          call("account_signTransaction", [args as JsonValue], meta),
        list: (meta) => call("account_list", [], meta),
        newAccount: (meta) => call("account_new", [], meta),
      }, { logger: log }).catch((err) =>
        log.error("UI test failed", { err: errorText(err) })
      );
    }

    const stopWatchdog = startWatchdog(
      this.#rules ? { rules: probes.rules } : {},
      log,
      (name) => Deno.env.get(name),
    );
    this.#cleanup.unshift(stopWatchdog);

    ui.onSignerStartup({
      info: {
        extapi_http: httpUrl,
        extapi_ipc: ipcPath,
        extapi_version: EXTERNAL_API_VERSION,
        intapi_version: INTERNAL_API_VERSION,
      },
    });
    await sdNotify("READY=1");

    const signal = await stopped;
    log.info("Exiting...", { signal });
    await sdNotify("STOPPING=1");
    this.#shutdown.abort();
    const steps = (async () => {
      for (const fn of this.#cleanup) {
        try {
          await fn();
        } catch (err) {
          log.warn("Shutdown step failed", { err: errorText(err) });
        }
      }
    })();
    // Never hang on the way out: every step is bounded, and so is the sum.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const late = new Promise<"late">((r) =>
      timer = setTimeout(() => r("late"), SHUTDOWN_GRACE_MS + 5_000)
    );
    if (
      await Promise.race([steps.then(() => "done" as const), late]) === "late"
    ) {
      log.error("Shutdown steps did not finish in time; exiting anyway");
    }
    clearTimeout(timer);
    stdioUi?.close();
    return 0;
  }

  /**
   * Listens for SIGINT/SIGTERM (resolves with the signal's name; a second
   * one then takes the default action) and SIGHUP (reloads the rules).
   * Installed first thing, so a signal during start-up is not fatal.
   */
  #listenForSignals(): Promise<string> {
    return new Promise((resolveStop) => {
      const stop = (name: string) => () => {
        Deno.removeSignalListener("SIGINT", onInt);
        Deno.removeSignalListener("SIGTERM", onTerm);
        Deno.removeSignalListener("SIGHUP", onHup);
        resolveStop(name);
      };
      const onInt = stop("interrupt");
      const onTerm = stop("terminated");
      const onHup = () => {
        this.#reloadRules().catch((err) =>
          this.#log.error("Rules reload failed", { err: errorText(err) })
        );
      };
      Deno.addSignalListener("SIGINT", onInt);
      Deno.addSignalListener("SIGTERM", onTerm);
      Deno.addSignalListener("SIGHUP", onHup);
    });
  }

  #readStdioUi(ui: StdioUi): void {
    (async () => {
      const decoder = new JsonStreamDecoder();
      const buf = new Uint8Array(64 * 1024);
      try {
        for (;;) {
          const n = await Deno.stdin.read(buf);
          if (n === null) break;
          for (const text of decoder.push(buf.subarray(0, n))) {
            ui.handleIncoming(parseJson(text));
          }
        }
      } catch (err) {
        this.#log.error("Reading the UI channel failed", {
          err: errorText(err),
        });
      }
      this.#log.warn(
        "UI channel closed (end of input); requests needing the UI are denied",
      );
      ui.close();
    })();
  }

  async #loadFourByte(): Promise<FourByteDb> {
    const path = this.#o.fourByteDbCustom;
    let custom: [string, string][] = [];
    if (path !== "" && await exists(path)) {
      try {
        custom = parseCustomDatabase(parseJson(await Deno.readTextFile(path)));
      } catch (err) {
        throw new FatalError(errorText(err));
      }
    }
    // Writes are batched (fourbyte_file.ts); shutdown writes what is pending.
    const file = path === "" ? undefined : new CustomFourByteFile(
      path,
      () => db.customJson(),
      {
        onError: (err) =>
          this.#log.warn("Failed to save custom 4byte database", {
            file: path,
            err: errorText(err),
          }),
      },
    );
    if (file) this.#cleanup.push(() => file.close());
    const db: FourByteDb = new FourByteDb({
      custom,
      onCustomChange: () => file?.changed(),
    });
    const size = db.size;
    this.#log.info("Loaded 4byte database", {
      embeds: size.embedded,
      locals: size.custom,
      local: path,
    });
    return db;
  }

  /**
   * Opens the vault when a seed is configured (`--signersecret`, or
   * `<configdir>/masterseed.json` exists). stave fails fast where clef
   * logged "rules disabled" and ran on.
   */
  async #openVault(ui: Ui): Promise<void> {
    const o = this.#o;
    const seedPath = join(o.configdir, "masterseed.json");
    if (
      o.signerSecret === undefined &&
      !(o.configdir !== "" && await exists(seedPath))
    ) {
      this.#log.info("No master seed; running without a vault (manual mode)", {
        path: seedPath,
      });
      return;
    }
    const fail = (err: unknown): never => {
      throw new FatalError(
        `failed to open the vault: ${
          errorText(err)
        } (check --signersecret, --configdir and the master password; run '${
          staveCommandLine(o, "init")
        }' to create a master seed)`,
      );
    };
    let seedText: string;
    let password: string | undefined;
    try {
      ({ seedText, password } = await readSeedAsFlagsSay(
        o.signerSecret,
        seedPath,
        this.#log,
      ));
    } catch (err) {
      return fail(err);
    }
    if (password === undefined) {
      try {
        password = (await ui.onInputRequired(MASTER_PASSWORD_PROMPT)).text;
      } catch (err) {
        return fail(new Error(`no master password: ${errorText(err)}`));
      }
    }
    let seed: Uint8Array;
    try {
      seed = await decryptMasterSeed(seedText, password, {
        onWarning: (m) => this.#log.warn(m),
      });
    } catch (err) {
      return fail(err);
    }
    try {
      this.#vault = await openVault(o.configdir, seed);
      this.#log.info("Vault opened", { dir: this.#vault.dir });
      if (o.guardDb !== "") this.#dbStorageKey = await ruleStorageKey(seed);
    } catch (err) {
      fail(err);
    } finally {
      seed.fill(0);
    }
  }

  async #attestedHash(): Promise<string | undefined> {
    try {
      return await this.#vault!.config.get("ruleset_sha256");
    } catch (err) {
      throw new FatalError(
        `cannot read the rules attestation: ${errorText(err)}`,
      );
    }
  }

  /** Reads the rules file and checks its attestation. */
  async #readAttestedRules(): Promise<{ source: string; hash: string }> {
    const file = this.#o.rules;
    if (!this.#vault) {
      throw new FatalError(
        `--rules ${file} needs the vault: run '${
          staveCommandLine(this.#o, "init")
        }', then '${
          staveCommandLine(this.#o, "attest", file)
        }', and start with the master password (prompt or --signersecret)`,
      );
    }
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(file);
    } catch (err) {
      throw new FatalError(
        `could not load rules file ${file}: ${errorText(err)}`,
      );
    }
    const hash = toHex(sha256(bytes));
    const attested = await this.#attestedHash();
    if (attested !== hash) {
      throw new FatalError(
        `rules file ${file} is not attested (sha256 ${hash}, attested ${
          attested === undefined || attested === "" ? "none" : attested
        }): run '${staveCommandLine(this.#o, "attest", hash)}' (or '${
          staveCommandLine(this.#o, "attest", file)
        }')`,
      );
    }
    return { source: new TextDecoder().decode(bytes), hash };
  }

  async #loadRules(next: Ui): Promise<RulesEngine> {
    const { source, hash } = await this.#readAttestedRules();
    const key = this.#dbStorageKey;
    const engine = new RulesEngine(source, next, {
      store: this.#db && key
        ? new PgRuleStorage(this.#db, key.vault, key.key)
        : this.#vault!.jsStorage,
      timeoutMs: this.#o.rulesTimeoutMs,
      logger: this.#log,
      // As clef: rule console lines as they are, except in a structured
      // log format, where they become records like every other line.
      jsConsole: this.#o.logFormat === "terminal"
        ? (line) => writeStderr(line + "\n")
        : (line) => this.#log.info(line),
      observe: this.#metrics
        ? (hook, seconds, stopped) =>
          this.#metrics?.ruleCall(hook, seconds, stopped)
        : undefined,
    });
    try {
      await engine.init();
    } catch (err) {
      if (err instanceof RulesLoadError) {
        throw new FatalError(`rules file ${this.#o.rules}: ${err.message}`);
      }
      throw err;
    }
    this.#rulesHash = hash;
    this.#cleanup.push(() => engine.close());
    this.#log.info("Rule engine configured", { file: this.#o.rules });
    return engine;
  }

  /**
   * `--http.tls.cert`/`--http.tls.key`/`--http.tls.clientca`: the PEM
   * files, checked before anything listens (the key, like the master
   * password file, must have no permission bit for others).
   */
  async #readTlsFiles(): Promise<
    { cert: string; key: string; clientCa?: string } | undefined
  > {
    const o = this.#o;
    if (o.httpTlsCert === "" && o.httpTlsKey === "") {
      if (o.httpTlsClientCa !== "") {
        throw new FatalError(
          "--http.tls.clientca needs --http.tls.cert and --http.tls.key",
        );
      }
      return undefined;
    }
    if (o.httpTlsCert === "" || o.httpTlsKey === "") {
      throw new FatalError(
        "--http.tls.cert and --http.tls.key go together",
      );
    }
    const pem = async (path: string, secret: boolean) => {
      try {
        return secret
          ? await readPrivateFile(path, MAX_PEM_FILE_SIZE)
          : await Deno.readTextFile(path);
      } catch (err) {
        // the caller says "Could not start RPC api: <this>"
        throw new Error(errorText(err), { cause: err });
      }
    };
    return {
      cert: await pem(o.httpTlsCert, false),
      key: await pem(o.httpTlsKey, true),
      clientCa: o.httpTlsClientCa === ""
        ? undefined
        : await pem(o.httpTlsClientCa, false),
    };
  }

  /**
   * What `/health` (and the watchdog) probe: the vault (its config store
   * reads and decrypts), the rules Worker (answers a ping), the Clique
   * guard (its store or database answers), the endpoints.
   */
  #healthProbes(guard: CliqueGuard | undefined): Record<string, PartProbe> {
    const probes: Record<string, PartProbe> = {};
    const vault = this.#vault;
    if (vault) {
      probes.vault = async () => {
        await vault.config.get("ruleset_sha256");
        return { ok: true };
      };
    }
    const rules = this.#rules;
    if (rules) {
      probes.rules = async () =>
        await rules.responsive(PART_PROBE_TIMEOUT_MS - 500)
          ? { ok: true }
          : { ok: false, error: "the rules Worker does not answer" };
    }
    if (guard) {
      probes.guard = async () => {
        await guard.state("0x0000000000000000000000000000000000000000");
        return { ok: true };
      };
    }
    probes.endpoints = () =>
      Promise.resolve(
        (this.#o.ipcDisable || this.#ipc) && (!this.#o.http || this.#http)
          ? { ok: true }
          : { ok: false, error: "an endpoint is not listening" },
      );
    return probes;
  }

  /** SIGHUP: re-read and re-check the rules; keep the old ones on failure. */
  async #reloadRules(): Promise<void> {
    if (!this.#rules) {
      this.#log.info("SIGHUP ignored: no rules file configured");
      return;
    }
    await sdNotify("RELOADING=1");
    try {
      await this.#reloadAttestedRules(this.#rules);
    } finally {
      await sdNotify("READY=1");
    }
  }

  async #reloadAttestedRules(rules: RulesEngine): Promise<void> {
    let next: { source: string; hash: string };
    try {
      next = await this.#readAttestedRules();
    } catch (err) {
      this.#log.error("Rules reload refused, keeping the current rules", {
        err: errorText(err),
      });
      return;
    }
    try {
      await rules.reload(next.source);
    } catch (err) {
      this.#log.error("Rules reload refused, keeping the current rules", {
        err: errorText(err),
      });
      return;
    }
    this.#rulesHash = next.hash;
    this.#log.info("Rules reloaded", {
      file: this.#o.rules,
      sha256: next.hash,
    });
  }

  /**
   * `--guard-db`: opens the pool and connects in the background (a
   * database that is down at start is logged, and guarded requests are
   * refused until it answers); fatal only for a bad flag value.
   */
  async #openGuardDb(): Promise<void> {
    const o = this.#o;
    if (o.guardDb === "") return;
    if (!o.cliqueGuard) {
      throw new FatalError(
        "--guard-db holds the Clique guard's records: add --clique-guard",
      );
    }
    const db = this.#db = await openGuardDb(o.guardDb, this.#log);
    this.#log.info("Clique guard and rule storage in the guard database", {
      db: db.where,
    });
    this.#cleanup.push(() => db.close());
    db.start();
  }

  #cliqueGuard(): CliqueGuard {
    if (this.#db) {
      return new CliqueGuard(new PgGuardBackend(this.#db), {
        chainId: this.#o.chainId,
      });
    }
    if (!this.#vault) {
      throw new FatalError(
        `--clique-guard keeps its state in the vault: run '${
          staveCommandLine(this.#o, "init")
        }' and start with the master password`,
      );
    }
    return new CliqueGuard(this.#vault.config, { chainId: this.#o.chainId });
  }

  /**
   * Refuses a config folder or IPC folder that another user could write
   * (whoever can write it can replace the socket or the vault files), before
   * anything is asked or opened. clef checks neither.
   */
  async #checkFolders(): Promise<void> {
    const o = this.#o;
    try {
      if (o.configdir !== "") {
        await checkPrivateFolder(o.configdir, "config folder");
      }
      if (!o.ipcDisable) {
        await checkPrivateFolder(dirname(ipcEndpoint(o)), "IPC folder");
      }
    } catch (err) {
      if (err instanceof UnsafePathError) throw new FatalError(err.message);
      throw err;
    }
  }

  /**
   * Opens every key whose password is in the vault, one at a time in the
   * unlock Worker (the key cache is then warm), so a wrong stored password
   * stops the start instead of the first block.
   */
  async #checkStoredPasswords(
    api: SignerApi,
    keystore: FsKeyStore,
  ): Promise<void> {
    let checked = 0;
    for (const account of await keystore.accounts()) {
      const address = fromHex(account.address.slice(2));
      try {
        if (await api.unlockWithStoredPassword(address)) checked++;
      } catch (err) {
        const checksummed = toChecksumAddress(address);
        throw new FatalError(
          `the password stored for ${checksummed} does not open its key file ${account.path}: ${
            errorText(err)
          }; store the right one with '${
            staveCommandLine(this.#o, "setpw", checksummed)
          }', or start with --keycheck=false`,
        );
      }
    }
    if (checked > 0) {
      this.#log.info("Stored passwords open their keys", { accounts: checked });
    }
  }

  async #openAuditLog(): Promise<AuditLogger | undefined> {
    const path = this.#o.auditLog;
    if (path === "") return undefined;
    let file: Deno.FsFile;
    try {
      file = await openAppendNoFollow(path, { mode: 0o600 });
    } catch (err) {
      throw new FatalError(errorText(err));
    }
    const enc = new TextEncoder();
    // A synchronous append per line: lines stay whole and in order, errors
    // reach the caller, and nothing is pending at shutdown.
    const audit = new AuditLogger((line) => {
      const bytes = enc.encode(line);
      let off = 0;
      while (off < bytes.length) off += file.writeSync(bytes.subarray(off));
    });
    this.#cleanup.push(() => file.close());
    await audit.configured(path);
    this.#log.info("Audit logs configured", { file: path });
    return audit;
  }
}
