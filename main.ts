/**
 * stave command-line entry point: argv → `src/cli/<command>.ts`; the only
 * `Deno.exit` of the program.
 *
 * Error reporting (spec cli.md §2): a {@linkcode FatalError} prints
 * `Fatal: <message>` on stderr, and also on stdout when stdout and stderr
 * are different files; a flag error prints the usage and the error on
 * stderr; any other error prints its message on stderr. All exit 1.
 *
 * @module
 */
import { FatalError } from "./src/errors.ts";
import { Logger } from "./src/log.ts";
import {
  type ArgsEnv,
  findCommand,
  FlagError,
  invalidCommandError,
  parseCommandLine,
} from "./src/cli/args.ts";
import type { CommandContext } from "./src/cli/_context.ts";
import { showBootWarning } from "./src/cli/boot_warning.ts";
import { appHelp, commandHelp, versionText } from "./src/cli/help.ts";
import {
  processTerminal,
  streamFileId,
  writeStderr,
  writeStdout,
} from "./src/cli/terminal.ts";
import { runInit } from "./src/cli/init.ts";
import { runAttest } from "./src/cli/attest.ts";
import { runSetpw } from "./src/cli/setpw.ts";
import { runCliqueGuardReset } from "./src/cli/clique_guard_reset.ts";
import {
  runCliqueGuardExport,
  runCliqueGuardImport,
} from "./src/cli/clique_guard_transfer.ts";
import { runDelpw } from "./src/cli/delpw.ts";
import { runNewAccount } from "./src/cli/newaccount.ts";
import { runImportRaw } from "./src/cli/importraw.ts";
import { runListAccounts } from "./src/cli/list_accounts.ts";
import { runListWallets } from "./src/cli/list_wallets.ts";
import { runGendoc } from "./src/cli/gendoc.ts";

const RUNNERS: Record<string, (ctx: CommandContext) => Promise<void>> = {
  init: runInit,
  attest: runAttest,
  setpw: runSetpw,
  delpw: runDelpw,
  newaccount: runNewAccount,
  importraw: runImportRaw,
  "list-accounts": runListAccounts,
  "list-wallets": runListWallets,
  gendoc: runGendoc,
  "clique-guard-reset": runCliqueGuardReset,
  "clique-guard-export": runCliqueGuardExport,
  "clique-guard-import": runCliqueGuardImport,
};

/** Whether stdout and stderr are the same file (Go `os.SameFile`). */
function sameOutputFile(): boolean {
  const out = streamFileId(1);
  const err = streamFileId(2);
  return out !== undefined && err !== undefined && out.dev === err.dev &&
    out.ino === err.ino;
}

function reportError(err: unknown): void {
  if (err instanceof FatalError) {
    const line = `Fatal: ${err.message}\n`;
    if (!sameOutputFile()) writeStdout(line);
    writeStderr(line);
    return;
  }
  const message = err instanceof Error ? err.message : String(err);
  writeStderr(message + "\n");
}

function printUsageError(err: FlagError, env: ArgsEnv): void {
  const spec = err.command === null ? undefined : findCommand(err.command);
  const usage = spec ? commandHelp(spec, env) : appHelp(env);
  const hint = err.hint === undefined ? "" : `${err.hint}\n`;
  writeStderr(
    `Incorrect Usage: ${err.message}\n\n${usage}\n${err.message}\n${hint}`,
  );
}

/**
 * Runs the program.
 *
 * @param argv Arguments after the program name.
 * @returns The exit status.
 */
export async function main(argv: string[]): Promise<number> {
  const env: ArgsEnv = { get: (k) => Deno.env.get(k), os: Deno.build.os };
  let cl;
  try {
    cl = parseCommandLine(argv, env);
  } catch (err) {
    if (err instanceof FlagError) {
      printUsageError(err, env);
      return 1;
    }
    reportError(err);
    return 1;
  }
  if (cl.kind === "help") {
    const spec = cl.command === null ? undefined : findCommand(cl.command);
    writeStdout(spec ? commandHelp(spec, env) : appHelp(env));
    return 0;
  }
  if (cl.kind === "version") {
    writeStdout(versionText());
    return 0;
  }
  const { options } = cl;
  const term = processTerminal();
  try {
    if (cl.command === null) {
      if (cl.args.length > 0) throw invalidCommandError(cl.args[0]);
      await showBootWarning(term, {
        suppress: options.suppressBootwarn,
        stdioUi: options.stdioUi,
        writeStderr,
      });
      // Loaded only for the daemon: subcommands stay small and fast.
      const { runDaemon } = await import("./src/cli/daemon.ts");
      return await runDaemon(options);
    }
    // clef decides on stderr; deciding on the sink keeps escapes out of pipes.
    const sinkIsTerminal = options.stdioUi
      ? Deno.stderr.isTerminal()
      : Deno.stdout.isTerminal();
    const color = sinkIsTerminal && env.get("TERM") !== "dumb";
    const log = new Logger({
      level: options.loglevel,
      sink: options.stdioUi ? writeStderr : writeStdout,
      color,
      format: options.logFormat,
    });
    await RUNNERS[cl.command]({
      options,
      set: cl.set,
      args: cl.args,
      term,
      stderr: writeStderr,
      log,
      env,
    });
    return 0;
  } catch (err) {
    reportError(err);
    return 1;
  }
}

if (import.meta.main) {
  Deno.exit(await main(Deno.args));
}
