/**
 * The real peers of the interop tests (geth, Clef): their pinned versions
 * from `tests/interop/versions.json` and where `make interop` puts the
 * binaries (`.tools/interop/<name>-<version>/<name>`, git-ignored).
 *
 * @module
 */
import { join } from "node:path";
import { ROOT } from "../_util.ts";

/** One pinned peer of `versions.json`. */
export interface PeerPin {
  /** Go package path, e.g. `github.com/ethereum/go-ethereum/cmd/geth`. */
  package: string;
  /** Module version, e.g. `v1.13.15`. */
  version: string;
  /** Value of `go install -ldflags` (may be empty). */
  ldflags: string;
  /** Why this version. */
  why: string;
}

/** The names of the pinned peers. */
export type PeerName = "geth" | "clef";

/** The pins, read from `tests/interop/versions.json`. */
export const PEERS: Record<PeerName, PeerPin> = JSON.parse(
  Deno.readTextFileSync(join(ROOT, "tests", "interop", "versions.json")),
);

/**
 * The folder `make interop` installs a peer into.
 *
 * @param name The peer.
 * @returns `<repo>/.tools/interop/<name>-<version>`.
 */
export function peerDir(name: PeerName): string {
  return join(ROOT, ".tools", "interop", `${name}-${PEERS[name].version}`);
}

/**
 * The binary of a peer; throws a clear error when it was not built.
 *
 * @param name The peer.
 * @returns The executable's path.
 * @throws {Error} when the binary is missing (run `make interop`).
 */
export function peerBinary(name: PeerName): string {
  const path = join(peerDir(name), name);
  try {
    Deno.statSync(path);
  } catch {
    throw new Error(
      `${path} is missing: run 'make interop' (it builds the pinned ${name} ${
        PEERS[name].version
      })`,
    );
  }
  return path;
}
