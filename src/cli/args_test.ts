import { deepStrictEqual, strictEqual, throws } from "node:assert/strict";
import {
  type ArgsEnv,
  defaultOptions,
  expandPath,
  FlagError,
  parseCommandLine,
  parseGoBool,
  parseGoDuration,
  parseGoInt,
} from "./args.ts";

const env: ArgsEnv = {
  os: "linux",
  get: (k) => ({ HOME: "/home/u", X: "ex" } as Record<string, string>)[k],
};

function run(argv: string[]) {
  const r = parseCommandLine(argv, env);
  if (r.kind !== "run") throw new Error(`not a run: ${r.kind}`);
  return r;
}

function flagError(
  argv: string[],
  message: string,
  command: string | null,
  hint?: string,
) {
  throws(() => parseCommandLine(argv, env), (err: unknown) => {
    strictEqual(err instanceof FlagError, true);
    strictEqual((err as FlagError).message, message);
    strictEqual((err as FlagError).command, command);
    if (hint !== undefined) strictEqual((err as FlagError).hint, hint);
    return true;
  });
}

Deno.test("parseCommandLine() refuses a flag after the arguments and says where it goes", () => {
  const addr = "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6";
  flagError(
    ["setpw", addr, "--signersecret", "f"],
    "flag given after the arguments: --signersecret",
    "setpw",
    `flags go after "setpw" and before its arguments: stave setpw --signersecret f ${addr}`,
  );
  flagError(
    ["--configdir", "/c", "attest", "h", "-lightkdf"],
    "flag given after the arguments: -lightkdf",
    "attest",
    `flags go before "attest": stave --configdir /c -lightkdf attest h`,
  );
  flagError(
    ["attest", "h", "--configdir=/x"],
    "flag given after the arguments: --configdir=/x",
    "attest",
    `flags go after "attest" and before its arguments: stave attest --configdir=/x h`,
  );
  // After "--" everything is an argument; an unknown word is an argument.
  deepStrictEqual(run(["attest", "--", "h", "--configdir"]).args, [
    "h",
    "--configdir",
  ]);
  deepStrictEqual(run(["attest", "h", "--not-a-flag"]).args, [
    "h",
    "--not-a-flag",
  ]);
});

Deno.test("parseCommandLine() suggests the flag that was meant", () => {
  flagError(
    ["--lightkfd", "init"],
    "flag provided but not defined: -lightkfd",
    null,
    "did you mean -lightkdf?",
  );
  flagError(
    ["list-accounts", "--keystor", "k"],
    "flag provided but not defined: -keystor",
    "list-accounts",
    "did you mean -keystore?",
  );
  flagError(
    ["setpw", "--rules", "r.js", "0x00"],
    "flag provided but not defined: -rules",
    "setpw",
    "-rules is a global flag: give it before the command (stave --rules ... setpw ...)",
  );
  flagError(
    ["--zzzzzzzz"],
    "flag provided but not defined: -zzzzzzzz",
    null,
    undefined,
  );
});

Deno.test("parseCommandLine() applies global flags to the command and lets command flags win", () => {
  const r = run([
    "--configdir",
    "/g",
    "-lightkdf",
    "--chainid=0x10",
    "attest",
    "-configdir=/c",
    "hash",
    "more",
  ]);
  strictEqual(r.command, "attest");
  strictEqual(r.options.configdir, "/c");
  strictEqual(r.options.lightKdf, true);
  strictEqual(r.options.chainId, 16n);
  deepStrictEqual(r.args, ["hash", "more"]);
  deepStrictEqual([...r.set].sort(), ["chainid", "configdir", "lightkdf"]);
});

Deno.test("parseCommandLine() tells an empty --signersecret from an absent one", () => {
  strictEqual(run(["setpw", "0x00"]).options.signerSecret, undefined);
  strictEqual(run(["--signersecret=", "setpw"]).options.signerSecret, "");
  strictEqual(run(["setpw", "--signersecret", ""]).options.signerSecret, "");
});

Deno.test("parseCommandLine() reads booleans, durations and the stave flags", () => {
  const r = run([
    "--keycache=false",
    "--approval-timeout",
    "1m30s",
    "--rules-timeout=250ms",
    "--clique-guard",
    "--http=F",
  ]);
  strictEqual(r.command, null);
  strictEqual(r.options.keyCache, false);
  strictEqual(r.options.approvalTimeoutMs, 90_000);
  strictEqual(r.options.rulesTimeoutMs, 250);
  strictEqual(r.options.cliqueGuard, true);
  strictEqual(r.options.http, false);
  // a boolean never takes the next argument as its value
  deepStrictEqual(run(["--advanced", "false"]).args, ["false"]);
});

Deno.test("parseCommandLine() hands stray positionals to the daemon and stops at --", () => {
  const r = run(["--lightkdf", "foo", "--bar"]);
  strictEqual(r.command, null);
  deepStrictEqual(r.args, ["foo", "--bar"]);
  deepStrictEqual(run(["--", "foo", "-x"]).args, ["foo", "-x"]);
  strictEqual(
    run(["--", "init"]).command,
    "init",
    "as urfave: -- ends flags only",
  );
  deepStrictEqual(run(["-", "x"]).args, ["-", "x"]);
});

Deno.test("parseCommandLine() recognises help and version requests", () => {
  deepStrictEqual(parseCommandLine(["-h"], env), {
    kind: "help",
    command: null,
  });
  deepStrictEqual(parseCommandLine(["--help=true"], env), {
    kind: "help",
    command: null,
  });
  deepStrictEqual(parseCommandLine(["help", "init"], env), {
    kind: "help",
    command: "init",
  });
  deepStrictEqual(parseCommandLine(["help", "nope"], env), {
    kind: "help",
    command: null,
  });
  deepStrictEqual(parseCommandLine(["init", "-help"], env), {
    kind: "help",
    command: "init",
  });
  deepStrictEqual(parseCommandLine(["-v"], env), { kind: "version" });
  // -v after a command is not the version flag
  flagError(["init", "-v"], "flag provided but not defined: -v", "init");
});

Deno.test("parseCommandLine() reports Go's flag errors", () => {
  flagError(
    ["init", "--lightkdf"],
    "flag provided but not defined: -lightkdf",
    "init",
  );
  flagError(["--nousb"], "flag provided but not defined: -nousb", null);
  flagError(
    ["--chainid", "abc"],
    'invalid value "abc" for flag -chainid: parse error',
    null,
  );
  flagError(
    ["--http.port=1e3"],
    'invalid value "1e3" for flag -http.port: parse error',
    null,
  );
  flagError(
    ["--loglevel", "9223372036854775808"],
    'invalid value "9223372036854775808" for flag -loglevel: value out of range',
    null,
  );
  flagError(
    ["--ipcdisable=yes"],
    'invalid boolean value "yes" for -ipcdisable: parse error',
    null,
  );
  flagError(
    ["list-accounts", "--keystore"],
    "flag needs an argument: -keystore",
    "list-accounts",
  );
  flagError(["--=x"], "bad flag syntax: --=x", null);
  flagError(["-=x"], "bad flag syntax: -=x", null);
});

Deno.test("parseGoInt() follows strconv.ParseInt(s, 0, 64)", () => {
  strictEqual(parseGoInt("42"), 42n);
  strictEqual(parseGoInt("-42"), -42n);
  strictEqual(parseGoInt("+7"), 7n);
  strictEqual(parseGoInt("0x1F"), 31n);
  strictEqual(parseGoInt("0X1f"), 31n);
  strictEqual(parseGoInt("010"), 8n);
  strictEqual(parseGoInt("0o17"), 15n);
  strictEqual(parseGoInt("0b101"), 5n);
  strictEqual(parseGoInt("0"), 0n);
  strictEqual(parseGoInt("1_000_000"), 1_000_000n);
  strictEqual(parseGoInt("0x_ff"), 255n);
  strictEqual(parseGoInt("9223372036854775807"), (1n << 63n) - 1n);
  strictEqual(parseGoInt("-9223372036854775808"), -(1n << 63n));
  for (
    const bad of ["", "08", "1__0", "_1", "1_", "0x", "1.0", " 1", "abc", "--1"]
  ) {
    throws(() => parseGoInt(bad), { message: "parse error" }, bad);
  }
  throws(() => parseGoInt("9223372036854775808"), {
    message: "value out of range",
  });
});

Deno.test("parseGoDuration() follows time.ParseDuration", () => {
  strictEqual(parseGoDuration("0"), 0);
  strictEqual(parseGoDuration("60s"), 60_000);
  strictEqual(parseGoDuration("1h2m3.5s"), 3_723_500);
  strictEqual(parseGoDuration(".5s"), 500);
  strictEqual(parseGoDuration("1.5us"), 0.0015);
  strictEqual(parseGoDuration("2\u00b5s"), 0.002);
  strictEqual(parseGoDuration("-1s"), -1000);
  for (const bad of ["", "1", "s", ".s", "1x", "1s2", "1 s", "+", "1.2.3s"]) {
    throws(() => parseGoDuration(bad), { message: "parse error" }, bad);
  }
});

Deno.test("parseGoBool() accepts Go's spellings only", () => {
  for (const t of ["1", "t", "T", "TRUE", "true", "True"]) {
    strictEqual(parseGoBool(t), true);
  }
  for (const f of ["0", "f", "F", "FALSE", "false", "False"]) {
    strictEqual(parseGoBool(f), false);
  }
  for (const x of ["yes", "tRUE", "", "2"]) {
    strictEqual(parseGoBool(x), undefined);
  }
});

Deno.test("expandPath() expands ~/ and variables and cleans the path", () => {
  strictEqual(expandPath("~/ipc", env), "/home/u/ipc");
  strictEqual(expandPath("$HOME/a/${X}/", env), "/home/u/a/ex");
  strictEqual(expandPath("a//b/./c/../d", env), "a/b/d");
  strictEqual(expandPath("$UNSET/x", env), "/x");
  strictEqual(expandPath("~user/x", env), "~user/x");
  strictEqual(expandPath("", env), ".");
  strictEqual(run(["--ipcpath", "~/sock"]).options.ipcPath, "/home/u/sock");
  strictEqual(run([]).options.ipcPath, "");
});

Deno.test("defaultOptions() follows the platform rules and a missing home", () => {
  const mac: ArgsEnv = {
    os: "darwin",
    get: (k) => (k === "HOME" ? "/Users/u" : undefined),
  };
  strictEqual(defaultOptions(mac).configdir, "/Users/u/Library/Signer");
  strictEqual(
    defaultOptions(mac).keystore,
    "/Users/u/Library/Ethereum/keystore",
  );
  const none: ArgsEnv = { os: "linux", get: () => undefined };
  strictEqual(defaultOptions(none).configdir, "");
  strictEqual(defaultOptions(none).keystore, "keystore");
  const d = defaultOptions(env);
  strictEqual(d.loglevel, 3);
  strictEqual(d.chainId, 1n);
  strictEqual(d.httpPort, 8550);
  strictEqual(d.auditLog, "audit.log");
  strictEqual(d.keyCache, true);
  strictEqual(d.approvalTimeoutMs, 60_000);
  strictEqual(d.rulesTimeoutMs, 1_000);
});
