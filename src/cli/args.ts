/**
 * The command-line grammar (spec cli.md §1): Go `flag` syntax as urfave/cli
 * v2 applies it (`-name value`, `--name value`, `-name=value`,
 * `--name=value`; booleans `--flag` or `--flag=true|false`), parsing that
 * stops at the first positional argument, global flags before the command
 * that apply to it, and per-command flag lists that reject anything else.
 * Error texts are Go's (`flag provided but not defined: -x`,
 * `invalid value "abc" for flag -chainid: parse error`, ...).
 *
 * Pure: the environment (home folder, variables, OS) is injected.
 *
 * @module
 */
import { join, normalize } from "node:path";
import { UsageError } from "../errors.ts";
import { goQuote } from "../ui/go_format.ts";

/** How a flag's value is read. */
export type FlagType = "bool" | "string" | "int" | "int64" | "duration";

/** One flag of the grammar. */
export interface FlagSpec {
  /** Name without dashes, e.g. `http.port`. */
  name: string;
  /** Value type. */
  type: FlagType;
  /** One-line help text. */
  usage: string;
  /** The only values a string flag takes (checked while parsing). */
  choices?: readonly string[];
}

/** Every global flag (cli.md §1.1 plus stave's additions), in help order. */
export const GLOBAL_FLAGS: readonly FlagSpec[] = [
  {
    name: "loglevel",
    type: "int",
    usage:
      "log level to emit (0 crit, 1 error, 2 warn, 3 info, 4 debug, 5 trace)",
  },
  {
    name: "keystore",
    type: "string",
    usage: 'Directory for the keystore ("" disables it)',
  },
  {
    name: "configdir",
    type: "string",
    usage: "Directory for stave configuration (master seed, vault, socket)",
  },
  {
    name: "chainid",
    type: "int64",
    usage: "Chain id to use for signing (1=mainnet, 17000=Holesky)",
  },
  {
    name: "lightkdf",
    type: "bool",
    usage:
      "Reduce key-derivation RAM & CPU usage at some expense of KDF strength",
  },
  {
    name: "pcscdpath",
    type: "string",
    usage:
      "Path to the smartcard daemon (pcscd) socket file (accepted, unused)",
  },
  {
    name: "http.addr",
    type: "string",
    usage: "HTTP-RPC server listening interface",
  },
  {
    name: "http.vhosts",
    type: "string",
    usage:
      "Comma separated list of virtual hostnames from which to accept requests (server enforced). Accepts '*' wildcard.",
  },
  { name: "ipcdisable", type: "bool", usage: "Disable the IPC-RPC server" },
  {
    name: "ipcpath",
    type: "string",
    usage: "Directory for the IPC socket (clef.ipc; default: the configdir)",
  },
  { name: "http", type: "bool", usage: "Enable the HTTP-RPC server" },
  { name: "http.port", type: "int", usage: "HTTP-RPC server listening port" },
  {
    name: "signersecret",
    type: "string",
    usage:
      "A file containing the encrypted master seed, or a file whose first line is the master password",
  },
  {
    name: "4bytedb-custom",
    type: "string",
    usage: "File used for writing new 4byte-identifiers submitted via API",
  },
  {
    name: "auditlog",
    type: "string",
    usage: 'File used to emit audit logs. Set to "" to disable',
  },
  {
    name: "rules",
    type: "string",
    usage: "Path to the rule file to auto-authorize requests with",
  },
  {
    name: "stdio-ui",
    type: "bool",
    usage: "Use STDIN/STDOUT as a channel for an external UI (JSON-RPC)",
  },
  {
    name: "stdio-ui-test",
    type: "bool",
    usage:
      "Mechanism to test interface between stave and UI. Requires 'stdio-ui'.",
  },
  {
    name: "advanced",
    type: "bool",
    usage:
      "If enabled, issues warnings instead of rejections for suspicious requests. Default off",
  },
  {
    name: "suppress-bootwarn",
    type: "bool",
    usage: "If set, does not show the warning during boot",
  },
  {
    name: "keycache",
    type: "bool",
    usage:
      "Keep a key with a stored password decrypted in memory after its first approved use (stave)",
  },
  {
    name: "approval-timeout",
    type: "duration",
    usage:
      "Deny a request nobody answered within this time, e.g. 60s, 2m (stave)",
  },
  {
    name: "rules-timeout",
    type: "duration",
    usage:
      "Stop a rule evaluation that runs longer and deny the request (stave)",
  },
  {
    name: "clique-guard",
    type: "bool",
    usage:
      "Refuse to sign two different Clique headers for the same height (stave)",
  },
  {
    name: "http.tls.cert",
    type: "string",
    usage: "Serve HTTPS with this certificate chain (PEM file; stave)",
  },
  {
    name: "http.tls.key",
    type: "string",
    usage:
      "Private key (PEM file, no permission for others) of --http.tls.cert (stave)",
  },
  {
    name: "http.tls.clientca",
    type: "string",
    usage:
      "Require HTTPS clients to present a certificate signed by a CA in this PEM file (stave)",
  },
  {
    name: "log.format",
    type: "string",
    usage: "Log format to use (terminal, logfmt, json)",
    choices: ["terminal", "logfmt", "json"],
  },
  {
    name: "metrics",
    type: "bool",
    usage:
      "Enable metrics and /health on their own HTTP listener (Prometheus format; stave)",
  },
  {
    name: "metrics.addr",
    type: "string",
    usage: "Metrics and health listening interface",
  },
  {
    name: "metrics.port",
    type: "int",
    usage: "Metrics and health listening port",
  },
  {
    name: "keycheck",
    type: "bool",
    usage:
      "At start, decrypt every key whose password is stored and refuse to start if one does not open (stave; --keycheck=false for large keystores)",
  },
  {
    name: "guard-db",
    type: "string",
    usage:
      "PostgreSQL URL, or a file holding one, for the Clique guard and rule storage shared by several signers (stave)",
  },
];

/** A subcommand (cli.md §1.2). */
export interface CommandSpec {
  /** Command name as typed. */
  name: string;
  /** One-line summary. */
  usage: string;
  /** Positional arguments, for the help text. */
  argsUsage: string;
  /** Longer help text. */
  description: string;
  /** Names of the flags accepted after the command name. */
  flags: readonly string[];
}

const VAULT_FLAGS = ["loglevel", "configdir", "signersecret"] as const;
const KEYSTORE_FLAGS = [
  "loglevel",
  "keystore",
  "lightkdf",
  "suppress-bootwarn",
] as const;

/** The subcommands, in help order. */
export const COMMANDS: readonly CommandSpec[] = [
  {
    name: "init",
    usage: "Initialize the signer, generate secret storage",
    argsUsage: "",
    description:
      "The init command generates a master seed which stave can use to store credentials and data needed for\nthe rule-engine to work.",
    flags: ["loglevel", "configdir"],
  },
  {
    name: "attest",
    usage: "Attest that a js-file is to be used",
    argsUsage: "<sha256sum | rules file>",
    description:
      "The attest command stores the sha256 of the rule.js-file that you want to use for automatic processing of\nincoming requests. The argument is stored as given, unless it names an existing file:\nthen the file's sha256 (lowercase hex) is stored.\n\nWhenever you make an edit to the rule file, you need to use attestation to tell\nstave that the file is 'safe' to execute.",
    flags: VAULT_FLAGS,
  },
  {
    name: "setpw",
    usage: "Store a credential for a keystore file",
    argsUsage: "<address>",
    description:
      "The setpw command stores a password for a given address (keyfile).",
    flags: VAULT_FLAGS,
  },
  {
    name: "delpw",
    usage: "Remove a credential for a keystore file",
    argsUsage: "<address>",
    description:
      "The delpw command removes a password for a given address (keyfile).",
    flags: VAULT_FLAGS,
  },
  {
    name: "newaccount",
    usage: "Create a new account",
    argsUsage: "",
    description:
      "The newaccount command creates a new keystore-backed account. It is a convenience-method\nwhich can be used in lieu of an external UI.",
    flags: KEYSTORE_FLAGS,
  },
  {
    name: "clique-guard-reset",
    usage: "Move the Clique double-sign guard back (stave)",
    argsUsage: "<address> <block>",
    description:
      "The clique-guard-reset command lets the account seal <block> and later heights once more,\nfor a deliberate reorg recovery. Stop the daemon first (every daemon that shares --guard-db).\nWithout it, --clique-guard refuses any header below the highest block the account sealed\nand a second, different header at it. With --guard-db it resets the record of --chainid in\nthat database, else the vault's.",
    flags: [...VAULT_FLAGS, "chainid", "guard-db"],
  },
  {
    name: "clique-guard-export",
    usage: "Write the Clique guard's records as JSON (stave)",
    argsUsage: "<file | ->",
    description:
      "The clique-guard-export command writes the Clique guard's records, one per chain and account, as JSON\ninto a new 0600 <file> (or on stdout for -): from the database with --guard-db, else from the vault\n(its records belong to --chainid). Feed the file to clique-guard-import on another host or store.",
    flags: [...VAULT_FLAGS, "chainid", "guard-db"],
  },
  {
    name: "clique-guard-import",
    usage: "Raise the Clique guard from exported JSON (stave)",
    argsUsage: "<file | ->",
    description:
      "The clique-guard-import command reads clique-guard-export JSON (from <file>, or stdin for -) into the\ndatabase with --guard-db, else into the vault (records of --chainid only). It only ever raises a\nrecord: a lower height is kept as it is, and the same height with a different seal hash is a\nconflict that is reported (exit status 1) and kept. Use clique-guard-reset to move a guard back.",
    flags: [...VAULT_FLAGS, "chainid", "guard-db"],
  },
  {
    name: "gendoc",
    usage: "Generate documentation about json-rpc format",
    argsUsage: "",
    description:
      "The gendoc generates example structures of the json-rpc communication types.",
    flags: [],
  },
  {
    name: "list-accounts",
    usage: "List accounts in the keystore",
    argsUsage: "",
    description: "Lists the accounts in the keystore.",
    flags: KEYSTORE_FLAGS,
  },
  {
    name: "list-wallets",
    usage: "List wallets known to stave",
    argsUsage: "",
    description: "Lists the wallets known to stave.",
    flags: KEYSTORE_FLAGS,
  },
  {
    name: "importraw",
    usage: "Import a hex-encoded private key.",
    argsUsage: "<keyfile>",
    description:
      "Imports an unencrypted private key from <keyfile> and creates a new account.\nPrints the address.\nThe keyfile is assumed to contain an unencrypted private key in hexadecimal format.\nThe account is saved in encrypted format, you are prompted for a password.",
    flags: KEYSTORE_FLAGS,
  },
];

/** The values of every global flag, after defaults. */
export interface GlobalOptions {
  /** `--loglevel`: 0 crit … 5 trace. */
  loglevel: number;
  /** `--keystore`; `""` disables the key folder. */
  keystore: string;
  /** `--configdir`; `""` when there is no home folder. */
  configdir: string;
  /** `--chainid` (Go int64). */
  chainId: bigint;
  /** `--lightkdf`. */
  lightKdf: boolean;
  /** `--pcscdpath` (accepted, unused). */
  pcscdPath: string;
  /** `--http.addr`. */
  httpAddr: string;
  /** `--http.vhosts` (comma-separated, unsplit). */
  httpVhosts: string;
  /** `--ipcdisable`. */
  ipcDisable: boolean;
  /**
   * `--ipcpath`: the socket's folder, `~/` and `$VAR` expanded and the path
   * cleaned when given; `""` by default (socket in the configdir).
   */
  ipcPath: string;
  /** `--http`. */
  http: boolean;
  /** `--http.port`. */
  httpPort: number;
  /**
   * `--signersecret`: `undefined` when the flag was not given at all (then
   * `<configdir>/masterseed.json` is used); a given empty value is `""`.
   */
  signerSecret: string | undefined;
  /** `--4bytedb-custom`. */
  fourByteDbCustom: string;
  /** `--auditlog`; `""` disables the audit log. */
  auditLog: string;
  /** `--rules`; `""` when not given. */
  rules: string;
  /** `--stdio-ui`. */
  stdioUi: boolean;
  /** `--stdio-ui-test`. */
  stdioUiTest: boolean;
  /** `--advanced`. */
  advanced: boolean;
  /** `--suppress-bootwarn`. */
  suppressBootwarn: boolean;
  /** `--keycache` (stave; default true). */
  keyCache: boolean;
  /** `--approval-timeout` in milliseconds (stave; default 60000). */
  approvalTimeoutMs: number;
  /** `--rules-timeout` in milliseconds (stave; default 1000). */
  rulesTimeoutMs: number;
  /** `--clique-guard` (stave). */
  cliqueGuard: boolean;
  /** `--keycheck` (stave; default true). */
  keyCheck: boolean;
  /** `--http.tls.cert` (stave): PEM file, `""` for plain HTTP. */
  httpTlsCert: string;
  /** `--http.tls.key` (stave): PEM file. */
  httpTlsKey: string;
  /** `--http.tls.clientca` (stave): PEM file, `""` for no client certificates. */
  httpTlsClientCa: string;
  /** `--log.format` (geth's values; default `terminal`). */
  logFormat: "terminal" | "logfmt" | "json";
  /** `--metrics` (stave; geth's flag names). */
  metrics: boolean;
  /** `--metrics.addr` (default `127.0.0.1`). */
  metricsAddr: string;
  /** `--metrics.port` (default 6060). */
  metricsPort: number;
  /** Names of the flags given on the command line (hints repeat them). */
  given: ReadonlySet<string>;
  /** `--guard-db` (stave): a PostgreSQL URL or a file holding one; `""`: none. */
  guardDb: string;
}

/** What the parser needs from the environment. */
export interface ArgsEnv {
  /** Reads an environment variable. */
  get(name: string): string | undefined;
  /** Operating system (`Deno.build.os`). */
  os: string;
}

/** The result of {@linkcode parseCommandLine}. */
export type CommandLine =
  | {
    kind: "run";
    /** The subcommand, or `null` for the daemon. */
    command: string | null;
    /** Effective options: defaults ← global flags ← command flags. */
    options: GlobalOptions;
    /** Names of the flags given anywhere on the line. */
    set: ReadonlySet<string>;
    /** Positional arguments after the command (or after the global flags). */
    args: string[];
  }
  | { kind: "help"; command: string | null }
  | { kind: "version" };

/**
 * A flag error of Go's `flag` package; `command` says whose usage to print.
 */
export class FlagError extends UsageError {
  /** The command whose flags were being parsed, `null` for the globals. */
  readonly command: string | null;
  /** stave's advice after Go's text (e.g. "did you mean -lightkdf?"). */
  readonly hint: string | undefined;
  /**
   * Creates the error.
   *
   * @param message Go's text, e.g. `flag provided but not defined: -x`.
   * @param command Whose usage to print.
   * @param hint Advice printed after the usage, if any.
   */
  constructor(message: string, command: string | null, hint?: string) {
    super(message);
    this.name = "FlagError";
    this.command = command;
    this.hint = hint;
  }
}

/** Levenshtein distance, for "did you mean" (short strings only). */
function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(
        prev[j] + 1,
        cur[j - 1] + 1,
        prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    }
    prev = cur;
  }
  return prev[b.length];
}

/**
 * Advice for a flag that is not defined where it was given: the global or
 * command flag list it belongs to, or the closest names.
 */
function unknownFlagHint(
  name: string,
  allowed: ReadonlySet<string>,
  command: string | null,
): string | undefined {
  if (FLAG_MAP.has(name)) {
    if (command !== null && GLOBAL_NAMES.has(name)) {
      return `-${name} is a global flag: give it before the command (stave --${name} ... ${command} ...)`;
    }
    if (command === null) {
      const owners = COMMANDS.filter((c) => c.flags.includes(name));
      if (owners.length > 0) {
        return `-${name} is a flag of ${
          owners.map((c) => c.name).join(", ")
        }: give it after the command name`;
      }
    }
  }
  const candidates = new Set<string>(allowed);
  const close = [...candidates]
    .map((c) => ({ c, d: editDistance(name.toLowerCase(), c) }))
    .filter(({ c, d }) => d <= Math.max(1, Math.floor(c.length / 3)))
    .sort((x, y) => x.d - y.d || x.c.localeCompare(y.c))
    .slice(0, 3)
    .map(({ c }) => `-${c}`);
  return close.length === 0 ? undefined : `did you mean ${close.join(" or ")}?`;
}

const FLAG_MAP = new Map(GLOBAL_FLAGS.map((f) => [f.name, f]));

/**
 * Go `os.UserHomeDir` (`$HOME`, or `%USERPROFILE%` on Windows).
 *
 * @param env The environment.
 * @returns The home folder or `""`.
 */
export function homeDir(env: ArgsEnv): string {
  return (env.os === "windows" ? env.get("USERPROFILE") : env.get("HOME")) ??
    "";
}

function defaultDataDir(env: ArgsEnv): string {
  const home = homeDir(env);
  if (home === "") return "";
  if (env.os === "darwin") return join(home, "Library", "Ethereum");
  if (env.os === "windows") {
    const local = env.get("LOCALAPPDATA") ?? join(home, "AppData", "Local");
    return join(local, "Ethereum");
  }
  return join(home, ".ethereum");
}

function defaultConfigDir(env: ArgsEnv): string {
  const home = homeDir(env);
  if (home === "") return "";
  if (env.os === "darwin") return join(home, "Library", "Signer");
  if (env.os === "windows") {
    const appdata = env.get("APPDATA");
    return appdata
      ? join(appdata, "Signer")
      : join(home, "AppData", "Roaming", "Signer");
  }
  return join(home, ".clef");
}

/**
 * The defaults of every global flag (cli.md §1.1): HOME-based folders,
 * no `~` expansion.
 *
 * @param env The environment.
 * @returns Fresh default options.
 *
 * @example Usage
 * ```ts
 * import { defaultOptions } from "./args.ts";
 * import { strictEqual } from "node:assert/strict";
 * const env = { os: "linux", get: (k: string) => (k === "HOME" ? "/home/u" : undefined) };
 * strictEqual(defaultOptions(env).configdir, "/home/u/.clef");
 * strictEqual(defaultOptions(env).keystore, "/home/u/.ethereum/keystore");
 * ```
 */
export function defaultOptions(env: ArgsEnv): GlobalOptions {
  const dataDir = defaultDataDir(env);
  return {
    loglevel: 3,
    keystore: dataDir === "" ? "keystore" : join(dataDir, "keystore"),
    configdir: defaultConfigDir(env),
    chainId: 1n,
    lightKdf: false,
    pcscdPath: "/run/pcscd/pcscd.comm",
    httpAddr: "localhost",
    httpVhosts: "localhost",
    ipcDisable: false,
    ipcPath: "",
    http: false,
    httpPort: 8550,
    signerSecret: undefined,
    fourByteDbCustom: "./4byte-custom.json",
    auditLog: "audit.log",
    rules: "",
    stdioUi: false,
    stdioUiTest: false,
    advanced: false,
    suppressBootwarn: false,
    keyCache: true,
    approvalTimeoutMs: 60_000,
    rulesTimeoutMs: 1_000,
    cliqueGuard: false,
    keyCheck: true,
    httpTlsCert: "",
    httpTlsKey: "",
    httpTlsClientCa: "",
    logFormat: "terminal",
    metrics: false,
    metricsAddr: "127.0.0.1",
    metricsPort: 6060,
    given: new Set(),
    guardDb: "",
  };
}

/** The default value of a flag as shown in the help text. */
export function defaultText(name: string, env: ArgsEnv): string | undefined {
  const d = defaultOptions(env);
  switch (name) {
    case "loglevel":
      return String(d.loglevel);
    case "keystore":
      return d.keystore;
    case "configdir":
      return d.configdir || undefined;
    case "chainid":
      return String(d.chainId);
    case "pcscdpath":
      return d.pcscdPath;
    case "http.addr":
      return d.httpAddr;
    case "http.vhosts":
      return d.httpVhosts;
    case "http.port":
      return String(d.httpPort);
    case "4bytedb-custom":
      return d.fourByteDbCustom;
    case "auditlog":
      return d.auditLog;
    case "keycache":
    case "keycheck":
      return "true";
    case "log.format":
      return d.logFormat;
    case "metrics.addr":
      return d.metricsAddr;
    case "metrics.port":
      return String(d.metricsPort);
    case "approval-timeout":
      return "1m0s";
    case "rules-timeout":
      return "1s";
    default:
      return undefined;
  }
}

/**
 * Go `strconv.ParseBool`.
 *
 * @param s Text.
 * @returns The value, or `undefined` when `s` is not a Go boolean.
 */
export function parseGoBool(s: string): boolean | undefined {
  if (["1", "t", "T", "TRUE", "true", "True"].includes(s)) return true;
  if (["0", "f", "F", "FALSE", "false", "False"].includes(s)) return false;
  return undefined;
}

const INT64_MIN = -(1n << 63n);
const INT64_MAX = (1n << 63n) - 1n;

/**
 * Go `strconv.ParseInt(s, 0, 64)` as the `flag` package uses it: optional
 * sign, `0x`/`0o`/`0b`/leading-`0` prefixes, `_` between digits.
 *
 * @param s Text.
 * @returns The value.
 * @throws {RangeError} `parse error` or `value out of range` (Go's flag texts).
 *
 * @example Usage
 * ```ts
 * import { parseGoInt } from "./args.ts";
 * import { strictEqual, throws } from "node:assert/strict";
 * strictEqual(parseGoInt("0x10"), 16n);
 * strictEqual(parseGoInt("1_000"), 1000n);
 * throws(() => parseGoInt("abc"), { message: "parse error" });
 * ```
 */
export function parseGoInt(s: string): bigint {
  let body = s;
  let neg = false;
  if (body.startsWith("+") || body.startsWith("-")) {
    neg = body[0] === "-";
    body = body.slice(1);
  }
  let v: bigint;
  if (/^0[xX](_?[0-9a-fA-F])+$/.test(body)) {
    v = BigInt("0x" + body.slice(2).replaceAll("_", ""));
  } else if (/^0[bB](_?[01])+$/.test(body)) {
    v = BigInt("0b" + body.slice(2).replaceAll("_", ""));
  } else if (/^0[oO](_?[0-7])+$/.test(body)) {
    v = BigInt("0o" + body.slice(2).replaceAll("_", ""));
  } else if (/^0(_?[0-7])*$/.test(body)) {
    v = BigInt("0o0" + body.slice(1).replaceAll("_", ""));
  } else if (/^[1-9](_?[0-9])*$/.test(body)) {
    v = BigInt(body.replaceAll("_", ""));
  } else {
    throw new RangeError("parse error");
  }
  if (neg) v = -v;
  if (v < INT64_MIN || v > INT64_MAX) {
    throw new RangeError("value out of range");
  }
  return v;
}

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  "\u00b5s": 1e-3,
  "\u03bcs": 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/**
 * Go `time.ParseDuration`, in milliseconds: `500ms`, `60s`, `1m30s`,
 * `1.5h`, a bare `0`.
 *
 * @param s Text.
 * @returns Milliseconds (may be fractional).
 * @throws {RangeError} `parse error`.
 *
 * @example Usage
 * ```ts
 * import { parseGoDuration } from "./args.ts";
 * import { strictEqual } from "node:assert/strict";
 * strictEqual(parseGoDuration("1m30s"), 90_000);
 * strictEqual(parseGoDuration("500ms"), 500);
 * ```
 */
export function parseGoDuration(s: string): number {
  let rest = s;
  let sign = 1;
  if (rest.startsWith("+") || rest.startsWith("-")) {
    if (rest[0] === "-") sign = -1;
    rest = rest.slice(1);
  }
  if (rest === "0") return 0;
  if (rest === "") throw new RangeError("parse error");
  let total = 0;
  const part = /^([0-9]*)(\.[0-9]*)?([^0-9.]+)/;
  while (rest !== "") {
    const m = part.exec(rest);
    if (!m || (m[1] === "" && (m[2] ?? ".") === ".")) {
      throw new RangeError("parse error");
    }
    const unitMatch = /^(ns|us|\u00b5s|\u03bcs|ms|s|m|h)/.exec(m[3]);
    if (!unitMatch) throw new RangeError("parse error");
    const unit = unitMatch[1];
    total += Number(`${m[1] || "0"}${m[2] ?? ""}`) * DURATION_UNITS[unit];
    rest = rest.slice(m[1].length + (m[2]?.length ?? 0) + unit.length);
  }
  return sign * total;
}

/**
 * go-ethereum `flags.expandPath` (for `--ipcpath`): `~/` becomes the home
 * folder, `$VAR`/`${VAR}` are replaced (unset → empty), the path cleaned.
 *
 * @param p The path as typed.
 * @param env The environment.
 * @returns The expanded path.
 *
 * @example Usage
 * ```ts
 * import { expandPath } from "./args.ts";
 * import { strictEqual } from "node:assert/strict";
 * const env = { os: "linux", get: (k: string) => ({ HOME: "/h", X: "x" })[k] };
 * strictEqual(expandPath("~/a/$X/../b", env), "/h/a/b");
 * ```
 */
export function expandPath(p: string, env: ArgsEnv): string {
  if (p.startsWith("\\\\.\\pipe")) return p;
  if (p.startsWith("~/") || p.startsWith("~\\")) {
    const home = homeDir(env);
    if (home !== "") p = home + p.slice(1);
  }
  p = p.replace(
    /\$\{([^}]*)\}|\$([A-Za-z0-9_]+)/g,
    (_m, a: string | undefined, b: string | undefined) =>
      env.get(a ?? b ?? "") ?? "",
  );
  if (p === "") return ".";
  const n = normalize(p);
  return n.length > 1 && n.endsWith("/") ? n.slice(0, -1) : n;
}

type Values = Map<string, string | boolean>;

interface ParseResult {
  values: Values;
  rest: string[];
  help: boolean;
  version: boolean;
  /** Parsing stopped at `--` (what follows is literal). */
  terminated: boolean;
}

/** One Go `flag.FlagSet.Parse` over `args`, stopping at a positional. */
function parseFlagSet(
  args: string[],
  allowed: ReadonlySet<string>,
  command: string | null,
): ParseResult {
  const values: Values = new Map();
  let help = false;
  let version = false;
  let terminated = false;
  let i = 0;
  while (i < args.length) {
    const s = args[i];
    if (s.length < 2 || s[0] !== "-") break;
    let minuses = 1;
    if (s[1] === "-") {
      minuses = 2;
      if (s.length === 2) {
        i++;
        terminated = true;
        break;
      }
    }
    let name = s.slice(minuses);
    if (name.length === 0 || name[0] === "-" || name[0] === "=") {
      throw new FlagError(`bad flag syntax: ${s}`, command);
    }
    i++;
    let value: string | undefined;
    const eq = name.indexOf("=");
    if (eq >= 0) {
      value = name.slice(eq + 1);
      name = name.slice(0, eq);
    }
    if (name === "help" || name === "h") {
      const b = value === undefined ? true : parseGoBool(value);
      if (b === undefined) {
        throw new FlagError(
          `invalid boolean value ${goQuote(value!)} for -${name}: parse error`,
          command,
        );
      }
      help ||= b;
      continue;
    }
    if (command === null && (name === "version" || name === "v")) {
      const b = value === undefined ? true : parseGoBool(value);
      if (b === undefined) {
        throw new FlagError(
          `invalid boolean value ${goQuote(value!)} for -${name}: parse error`,
          command,
        );
      }
      version ||= b;
      continue;
    }
    const spec = FLAG_MAP.get(name);
    if (!spec || !allowed.has(name)) {
      throw new FlagError(
        `flag provided but not defined: -${name}`,
        command,
        unknownFlagHint(name, allowed, command),
      );
    }
    if (spec.type === "bool") {
      if (value === undefined) {
        values.set(name, true);
      } else {
        const b = parseGoBool(value);
        if (b === undefined) {
          throw new FlagError(
            `invalid boolean value ${goQuote(value)} for -${name}: parse error`,
            command,
          );
        }
        values.set(name, b);
      }
      continue;
    }
    if (value === undefined) {
      if (i >= args.length) {
        throw new FlagError(`flag needs an argument: -${name}`, command);
      }
      value = args[i++];
    }
    if (spec.choices !== undefined && !spec.choices.includes(value)) {
      throw new FlagError(
        `invalid value ${goQuote(value)} for flag -${name}: want one of ${
          spec.choices.join(", ")
        }`,
        command,
      );
    }
    try {
      if (spec.type === "int" || spec.type === "int64") parseGoInt(value);
      if (spec.type === "duration") parseGoDuration(value);
    } catch (err) {
      throw new FlagError(
        `invalid value ${goQuote(value)} for flag -${name}: ${
          (err as Error).message
        }`,
        command,
      );
    }
    values.set(name, value);
  }
  return { values, rest: args.slice(i), help, version, terminated };
}

/**
 * Go's `flag` stops at the first positional argument, so a flag written
 * after the arguments (`setpw 0x… --signersecret f`) would be ignored
 * silently (clef does so). stave refuses it and says where it goes.
 */
function refuseFlagsAfterArguments(
  argv: string[],
  parsed: ParseResult,
  spec: CommandSpec,
): void {
  if (parsed.terminated) return;
  for (const a of parsed.rest) {
    if (a === "--") return;
    const m = /^--?([^-=][^=]*)(=.*)?$/.exec(a);
    if (m === null || !FLAG_MAP.has(m[1])) continue;
    const name = m[1];
    const where = spec.flags.includes(name)
      ? `after "${spec.name}" and before its arguments`
      : GLOBAL_NAMES.has(name)
      ? `before "${spec.name}"`
      : undefined;
    const fix = where === undefined
      ? `-${name} is not a flag of ${spec.name}`
      : `flags go ${where}: stave ${
        reorder(argv, spec.name, parsed.rest, a, spec.flags.includes(name))
      }`;
    throw new FlagError(
      `flag given after the arguments: ${a}`,
      spec.name,
      fix,
    );
  }
}

/** The command line with one misplaced flag (and its value) moved. */
function reorder(
  argv: string[],
  command: string,
  rest: string[],
  flag: string,
  local: boolean,
): string {
  const at = argv.lastIndexOf(rest[0]);
  const head = argv.slice(0, at);
  const tail = [...rest];
  const k = tail.indexOf(flag);
  const name = /^--?([^=]+)/.exec(flag)![1];
  const needsValue = !flag.includes("=") && FLAG_MAP.get(name)!.type !== "bool";
  const moved = tail.splice(k, needsValue ? 2 : 1);
  const c = head.lastIndexOf(command);
  const out = local
    ? [...head, ...moved, ...tail]
    : [...head.slice(0, c), ...moved, ...head.slice(c), ...tail];
  return out.join(" ");
}

function applyValues(opts: GlobalOptions, values: Values, env: ArgsEnv): void {
  for (const [name, v] of values) {
    const s = typeof v === "string" ? v : "";
    const b = v === true;
    switch (name) {
      case "loglevel":
        opts.loglevel = Number(parseGoInt(s));
        break;
      case "keystore":
        opts.keystore = s;
        break;
      case "configdir":
        opts.configdir = s;
        break;
      case "chainid":
        opts.chainId = parseGoInt(s);
        break;
      case "lightkdf":
        opts.lightKdf = b;
        break;
      case "pcscdpath":
        opts.pcscdPath = s;
        break;
      case "http.addr":
        opts.httpAddr = s;
        break;
      case "http.vhosts":
        opts.httpVhosts = s;
        break;
      case "ipcdisable":
        opts.ipcDisable = b;
        break;
      case "ipcpath":
        opts.ipcPath = expandPath(s, env);
        break;
      case "http":
        opts.http = b;
        break;
      case "http.port":
        opts.httpPort = Number(parseGoInt(s));
        break;
      case "signersecret":
        opts.signerSecret = s;
        break;
      case "4bytedb-custom":
        opts.fourByteDbCustom = s;
        break;
      case "auditlog":
        opts.auditLog = s;
        break;
      case "rules":
        opts.rules = s;
        break;
      case "stdio-ui":
        opts.stdioUi = b;
        break;
      case "stdio-ui-test":
        opts.stdioUiTest = b;
        break;
      case "advanced":
        opts.advanced = b;
        break;
      case "suppress-bootwarn":
        opts.suppressBootwarn = b;
        break;
      case "keycache":
        opts.keyCache = b;
        break;
      case "approval-timeout":
        opts.approvalTimeoutMs = parseGoDuration(s);
        break;
      case "rules-timeout":
        opts.rulesTimeoutMs = parseGoDuration(s);
        break;
      case "clique-guard":
        opts.cliqueGuard = b;
        break;
      case "keycheck":
        opts.keyCheck = b;
        break;
      case "log.format":
        opts.logFormat = s as GlobalOptions["logFormat"];
        break;
      case "http.tls.cert":
        opts.httpTlsCert = s;
        break;
      case "http.tls.key":
        opts.httpTlsKey = s;
        break;
      case "http.tls.clientca":
        opts.httpTlsClientCa = s;
        break;
      case "metrics":
        opts.metrics = b;
        break;
      case "metrics.addr":
        opts.metricsAddr = s;
        break;
      case "metrics.port":
        opts.metricsPort = Number(parseGoInt(s));
        break;
      case "guard-db":
        opts.guardDb = s;
        break;
    }
  }
}

const GLOBAL_NAMES: ReadonlySet<string> = new Set(
  GLOBAL_FLAGS.map((f) => f.name),
);

/**
 * Finds a subcommand by name.
 *
 * @param name Command name.
 * @returns Its spec, or `undefined`.
 */
export function findCommand(name: string): CommandSpec | undefined {
  return COMMANDS.find((c) => c.name === name);
}

/**
 * Parses `stave [global options] [command [command options] [arguments...]]`.
 *
 * @param argv The arguments after the program name.
 * @param env The environment (defaults, `--ipcpath` expansion).
 * @returns What to run, or a help/version request.
 * @throws {FlagError} for Go `flag` errors (usage printed by the caller).
 * @throws {UsageError} `invalid command: "<arg>"` is *not* thrown here: the
 *   daemon (no command) receives the stray positionals in `args` and
 *   reports them itself, as clef's `signer` action does.
 *
 * @example Usage
 * ```ts
 * import { parseCommandLine } from "./args.ts";
 * import { strictEqual } from "node:assert/strict";
 * const env = { os: "linux", get: (_: string) => "/h" };
 * const r = parseCommandLine(["--lightkdf", "init", "--configdir=/c"], env);
 * strictEqual(r.kind === "run" && r.command, "init");
 * strictEqual(r.kind === "run" && r.options.lightKdf, true);
 * strictEqual(r.kind === "run" && r.options.configdir, "/c");
 * ```
 */
export function parseCommandLine(argv: string[], env: ArgsEnv): CommandLine {
  const global = parseFlagSet(argv, GLOBAL_NAMES, null);
  if (global.help) return { kind: "help", command: null };
  if (global.version) return { kind: "version" };
  const options = defaultOptions(env);
  applyValues(options, global.values, env);
  const set = new Set(global.values.keys());
  const [first, ...afterCommand] = global.rest;
  if (first === "help" || first === "h") {
    const target = afterCommand[0];
    if (target !== undefined && findCommand(target)) {
      return { kind: "help", command: target };
    }
    return { kind: "help", command: null };
  }
  const spec = first === undefined ? undefined : findCommand(first);
  if (!spec) {
    options.given = set;
    return { kind: "run", command: null, options, set, args: global.rest };
  }
  const local = parseFlagSet(afterCommand, new Set(spec.flags), spec.name);
  if (local.help) return { kind: "help", command: spec.name };
  refuseFlagsAfterArguments(argv, local, spec);
  applyValues(options, local.values, env);
  for (const k of local.values.keys()) set.add(k);
  options.given = set;
  return { kind: "run", command: spec.name, options, set, args: local.rest };
}

/**
 * The error for positionals without a known command (clef's `signer`).
 *
 * @param arg The first stray argument.
 * @returns `invalid command: "<arg>"`.
 */
export function invalidCommandError(arg: string): UsageError {
  return new UsageError(`invalid command: ${goQuote(arg)}`);
}
