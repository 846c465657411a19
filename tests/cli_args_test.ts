/**
 * Black-box tests of the command-line surface: flag grammar and usage
 * errors, help and version, the boot warning's `ok` protocol, the shared
 * stdin reader, `gendoc` (spec cli.md §1–§3, ui-api.md §6).
 */
import { deepStrictEqual, ok, strictEqual } from "node:assert/strict";
import { join } from "node:path";
import {
  BOOT_WARNING_OUTPUT,
  lines,
  runStave,
  tempDirs,
  writeSeed,
} from "./_util.ts";

async function usageError(args: string[], message: string, hint?: string) {
  const t = await tempDirs();
  try {
    const r = await runStave(args, { home: t.home });
    strictEqual(r.code, 1, `${args.join(" ")}: exit status`);
    strictEqual(r.stdout, "", `${args.join(" ")}: nothing on stdout`);
    ok(
      r.stderr.startsWith(`Incorrect Usage: ${message}\n\n`),
      `${args.join(" ")}: ${r.stderr}`,
    );
    ok(r.stderr.includes("USAGE:\n"), "the usage is printed");
    const end = hint === undefined
      ? `\n${message}\n`
      : `\n${message}\n${hint}\n`;
    ok(r.stderr.endsWith(end), r.stderr);
    return r;
  } finally {
    await t.cleanup();
  }
}

Deno.test("stave refuses a flag written after the arguments, saying where it goes", async () => {
  const addr = "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6";
  await usageError(
    ["--suppress-bootwarn", "setpw", addr, "--signersecret", "./pw"],
    "flag given after the arguments: --signersecret",
    `flags go after "setpw" and before its arguments: stave --suppress-bootwarn setpw --signersecret ./pw ${addr}`,
  );
  await usageError(
    ["attest", "rules.js", "--configdir", "./clef"],
    "flag given after the arguments: --configdir",
    `flags go after "attest" and before its arguments: stave attest --configdir ./clef rules.js`,
  );
});

Deno.test("stave suggests the flag that was meant", async () => {
  await usageError(
    ["--chainidd", "15"],
    "flag provided but not defined: -chainidd",
    "did you mean -chainid?",
  );
});

Deno.test("stave rejects unknown flags with Go's flag texts and the usage", async () => {
  await usageError(["--nousb"], "flag provided but not defined: -nousb");
  await usageError(
    ["--http.corsdomain", "x"],
    "flag provided but not defined: -http.corsdomain",
  );
  const r = await usageError(
    ["--suppress-bootwarn", "init", "--keystore", "/tmp/x"],
    "flag provided but not defined: -keystore",
    "-keystore is a global flag: give it before the command (stave --keystore ... init ...)",
  );
  ok(r.stderr.includes("stave init - "), "the command's usage is printed");
  await usageError(
    ["list-accounts", "--configdir=/x"],
    "flag provided but not defined: -configdir",
    "-configdir is a global flag: give it before the command (stave --configdir ... list-accounts ...)",
  );
  await usageError(
    ["gendoc", "--loglevel", "3"],
    "flag provided but not defined: -loglevel",
    "-loglevel is a global flag: give it before the command (stave --loglevel ... gendoc ...)",
  );
});

Deno.test("stave rejects bad flag values", async () => {
  await usageError(
    ["--chainid", "abc", "list-accounts"],
    'invalid value "abc" for flag -chainid: parse error',
  );
  await usageError(
    ["--chainid=99999999999999999999"],
    'invalid value "99999999999999999999" for flag -chainid: value out of range',
  );
  await usageError(
    ["--keycache=maybe"],
    'invalid boolean value "maybe" for -keycache: parse error',
  );
  await usageError(
    ["--approval-timeout", "5x"],
    'invalid value "5x" for flag -approval-timeout: parse error',
  );
  await usageError(
    ["--rules-timeout"],
    "flag needs an argument: -rules-timeout",
  );
  await usageError(["---configdir", "x"], "bad flag syntax: ---configdir");
});

Deno.test("stave reports a stray positional as an invalid command, before the boot warning", async () => {
  const t = await tempDirs();
  try {
    const r = await runStave(["--lightkdf", "frobnicate", "x"], {
      home: t.home,
    });
    strictEqual(r.code, 1);
    strictEqual(r.stdout, "");
    strictEqual(r.stderr, 'invalid command: "frobnicate"\n');
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave stops parsing flags at the first positional argument", async () => {
  const t = await tempDirs();
  try {
    // --configdir after the hash would be an extra positional, ignored by
    // Go's flag package (and clef): stave refuses it (usage error, exit 1)
    // before reading anything.
    await writeSeed(join(t.root, "cfg"), "master password");
    const r = await runStave(
      [
        "--suppress-bootwarn",
        "attest",
        "ab".repeat(32),
        "--configdir",
        join(t.root, "cfg"),
      ],
      { stdin: lines("master password"), home: t.home },
    );
    strictEqual(r.code, 1);
    ok(
      r.stderr.startsWith(
        "Incorrect Usage: flag given after the arguments: --configdir\n",
      ),
      r.stderr,
    );
    // Every syntax of a flag before the command works.
    for (
      const flag of [["-configdir", join(t.root, "cfg")], [
        `-configdir=${join(t.root, "cfg")}`,
      ], [`--configdir=${join(t.root, "cfg")}`]]
    ) {
      const g = await runStave(
        ["--suppress-bootwarn", ...flag, "attest", "ab".repeat(32)],
        { stdin: lines("master password"), home: t.home },
      );
      strictEqual(g.code, 0, `${flag.join(" ")}: ${g.stderr}`);
    }
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave --help, help <cmd>, <cmd> --help and --version", async () => {
  const t = await tempDirs();
  try {
    for (const args of [["--help"], ["-h"], ["help"]]) {
      const r = await runStave(args, { home: t.home });
      strictEqual(r.code, 0);
      strictEqual(r.stderr, "");
      ok(
        r.stdout.includes(
          "USAGE:\n   stave [global options] command [command options] [arguments...]\n",
        ),
      );
      for (
        const cmd of [
          "init",
          "attest",
          "setpw",
          "delpw",
          "newaccount",
          "importraw",
          "list-accounts",
          "list-wallets",
          "gendoc",
        ]
      ) {
        ok(r.stdout.includes(`\n   ${cmd} `), `${cmd} listed`);
      }
      for (
        const flag of [
          "--chainid value",
          "--keycache",
          "--approval-timeout value",
          "--rules-timeout value",
          "--clique-guard",
          "--suppress-bootwarn",
        ]
      ) {
        ok(r.stdout.includes(flag), `${flag} listed`);
      }
      ok(
        r.stdout.includes(`(default: "${join(t.home, ".clef")}")`),
        "HOME-based default",
      );
    }
    for (
      const args of [["help", "setpw"], ["setpw", "--help"], ["setpw", "-h"]]
    ) {
      const r = await runStave(args, { home: t.home });
      strictEqual(r.code, 0);
      strictEqual(r.stderr, "");
      ok(
        r.stdout.startsWith(
          "NAME:\n   stave setpw - Store a credential for a keystore file\n",
        ),
        r.stdout,
      );
      ok(r.stdout.includes("--signersecret value"));
      ok(!r.stdout.includes("--keystore"));
    }
    for (const args of [["--version"], ["-v"]]) {
      const r = await runStave(args, { home: t.home });
      strictEqual(r.code, 0);
      strictEqual(r.stderr, "");
      ok(r.stdout.startsWith("stave version 0.1.0\n"), r.stdout);
      ok(r.stdout.includes("Clef"));
    }
  } finally {
    await t.cleanup();
  }
});

Deno.test("boot warning: 'ok' proceeds, anything else aborts, EOF fails, --suppress-bootwarn skips it", async () => {
  const t = await tempDirs();
  try {
    const args = ["--keystore", t.keystore, "list-accounts"];
    const yes = await runStave(args, { stdin: lines("  ok "), home: t.home });
    strictEqual(yes.code, 0);
    strictEqual(yes.stderr, "");
    strictEqual(
      yes.stdout,
      BOOT_WARNING_OUTPUT + "\n\nThe keystore is empty.\n\n",
    );

    const no = await runStave(args, { stdin: lines("yes"), home: t.home });
    strictEqual(no.code, 1);
    strictEqual(no.stderr, "aborted by user\n");
    strictEqual(no.stdout, BOOT_WARNING_OUTPUT);

    const eof = await runStave(args, { stdin: "", home: t.home });
    strictEqual(eof.code, 1);
    ok(eof.stderr.startsWith("Failed to read user input: EOF"), eof.stderr);
    strictEqual(eof.stdout, BOOT_WARNING_OUTPUT + "\n");

    const last = await runStave(args, { stdin: "ok", home: t.home });
    strictEqual(last.code, 0, "a last line without newline counts");

    const quiet = await runStave(["--suppress-bootwarn", ...args], {
      stdin: "",
      home: t.home,
    });
    strictEqual(quiet.code, 0);
    strictEqual(quiet.stdout, "\nThe keystore is empty.\n\n");
    const quiet2 = await runStave([
      "--keystore",
      t.keystore,
      "list-accounts",
      "--suppress-bootwarn",
    ], { stdin: "", home: t.home });
    strictEqual(
      quiet2.code,
      0,
      "a keystore command accepts --suppress-bootwarn after its name",
    );

    const stdio = await runStave(["--stdio-ui", ...args], {
      stdin: "",
      home: t.home,
    });
    strictEqual(stdio.code, 0);
    strictEqual(stdio.stdout, "\nThe keystore is empty.\n\n");
    ok(
      stdio.stderr.startsWith(
        "\nWARNING!\n\nstave is an account management tool.",
      ),
    );
    ok(!stdio.stderr.includes("Enter 'ok'"));
  } finally {
    await t.cleanup();
  }
});

Deno.test("one shared stdin reader: 'ok' and every password piped at once", async () => {
  const t = await tempDirs();
  try {
    const pw = "master password 1";
    const init = await runStave(
      ["--lightkdf", "init", "--configdir", t.configdir],
      { stdin: lines("ok", pw, pw), home: t.home },
    );
    strictEqual(init.stderr, "");
    strictEqual(init.code, 0);
    ok(
      init.stdout.startsWith(BOOT_WARNING_OUTPUT + "\nThe master seed of clef"),
    );
    const addr = "0x" + "ab".repeat(20);
    const setpw = await runStave(
      ["setpw", "--configdir", t.configdir, addr],
      { stdin: lines("ok", "keypassword", "keypassword", pw), home: t.home },
    );
    strictEqual(setpw.stderr, "");
    strictEqual(setpw.code, 0);
  } finally {
    await t.cleanup();
  }
});

Deno.test("stave gendoc prints the UI data types without a boot warning", async () => {
  const t = await tempDirs();
  try {
    const r = await runStave(["gendoc"], { stdin: "", home: t.home });
    strictEqual(r.code, 0);
    strictEqual(r.stderr, "");
    ok(r.stdout.startsWith("## UI Client interface\n\n"));
    const names = [...r.stdout.matchAll(/^### (.*)$/gm)].map((m) => m[1]);
    deepStrictEqual(names, [
      "SignDataRequest",
      "SignDataResponse - approve",
      "SignDataResponse - deny",
      "SignTxRequest",
      "SignTxResponse - approve",
      "SignTxResponse - deny",
      "OnApproved - SignTransactionResult",
      "UserInputRequest",
      "UserInputResponse",
      "ListRequest",
      "ListResponse",
    ]);
    const blocks = [
      ...r.stdout.matchAll(/Example:\n```json\n([\s\S]*?)\n```\n/g),
    ]
      .map((m) => JSON.parse(m[1]));
    strictEqual(blocks.length, names.length);
    deepStrictEqual(Object.keys(blocks[0]), [
      "content_type",
      "address",
      "raw_data",
      "messages",
      "call_info",
      "hash",
      "meta",
    ]);
    deepStrictEqual(Object.keys(blocks[3]), [
      "transaction",
      "call_info",
      "meta",
    ]);
    deepStrictEqual(Object.keys(blocks[7]), ["title", "prompt", "isPassword"]);
  } finally {
    await t.cleanup();
  }
});
