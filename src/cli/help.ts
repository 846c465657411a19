/**
 * Help and version texts, laid out like urfave/cli v2's templates
 * (NAME / USAGE / COMMANDS / OPTIONS).
 *
 * @module
 */
import config from "../../deno.json" with { type: "json" };
import {
  type ArgsEnv,
  COMMANDS,
  type CommandSpec,
  defaultText,
  type FlagSpec,
  GLOBAL_FLAGS,
} from "./args.ts";

/** stave's version (from deno.json). */
export const STAVE_VERSION: string = config.version;

/** The go-ethereum release whose Clef stave reproduces. */
export const CLEF_VERSION = "1.17.4";

/** What `--version` says stave replaces. */
export const CLEF_COMPAT =
  `Clef of go-ethereum ${CLEF_VERSION} (external API 6.1.0, internal API 7.0.1)`;

/**
 * The `--version` text.
 *
 * @returns `stave version <v>` and the compatibility line.
 *
 * @example Usage
 * ```ts
 * import { versionText } from "./help.ts";
 * import { ok } from "node:assert/strict";
 * ok(versionText().startsWith("stave version "));
 * ```
 */
export function versionText(): string {
  return `stave version ${STAVE_VERSION}\ndrop-in replacement for ${CLEF_COMPAT}\n`;
}

const QUOTED = new Set(["string"]);

function flagLines(
  flags: readonly FlagSpec[],
  env: ArgsEnv,
  extra: [string, string][],
): string {
  const rows: [string, string][] = flags.map((f) => {
    const d = defaultText(f.name, env);
    const shown = d === undefined
      ? ""
      : ` (default: ${QUOTED.has(f.type) ? JSON.stringify(d) : d})`;
    return [`--${f.name}${f.type === "bool" ? "" : " value"}`, f.usage + shown];
  });
  rows.push(...extra);
  const width = Math.max(0, ...rows.map(([h]) => h.length)) + 2;
  return rows.map(([h, u]) => `   ${h.padEnd(width)}${u}\n`).join("");
}

/**
 * The top-level help (`stave --help`, `stave help`).
 *
 * @param env The environment (for default paths).
 * @returns The help text.
 */
export function appHelp(env: ArgsEnv): string {
  const names = [...COMMANDS.map((c) => c.name), "help, h"];
  const width = Math.max(...names.map((n) => n.length)) + 3;
  let s =
    "NAME:\n   stave - Manage Ethereum account operations (Clef-compatible signer)\n\n" +
    "USAGE:\n   stave [global options] command [command options] [arguments...]\n\n" +
    `VERSION:\n   ${STAVE_VERSION}\n\nCOMMANDS:\n`;
  for (const c of COMMANDS) s += `   ${c.name.padEnd(width)}${c.usage}\n`;
  s += `   ${
    "help, h".padEnd(width)
  }Shows a list of commands or help for one command\n`;
  s += "\nGLOBAL OPTIONS:\n" + flagLines(GLOBAL_FLAGS, env, [
    ["--help, -h", "show help"],
    ["--version, -v", "print the version"],
  ]);
  s += "\nWithout a command, stave runs the signer daemon.\n";
  return s;
}

/**
 * The help of one command (`stave help <cmd>`, `stave <cmd> --help`).
 *
 * @param spec The command.
 * @param env The environment (for default paths).
 * @returns The help text.
 */
export function commandHelp(spec: CommandSpec, env: ArgsEnv): string {
  const args = spec.argsUsage === "" ? "" : ` ${spec.argsUsage}`;
  let s = `NAME:\n   stave ${spec.name} - ${spec.usage}\n\n` +
    `USAGE:\n   stave ${spec.name} [command options]${args}\n\n` +
    `DESCRIPTION:\n${
      spec.description.split("\n").map((l) => `   ${l}`.trimEnd()).join("\n")
    }\n\n` +
    "OPTIONS:\n";
  const flags = spec.flags.map((n) => GLOBAL_FLAGS.find((f) => f.name === n)!);
  s += flagLines(flags, env, [["--help, -h", "show help"]]);
  return s;
}
