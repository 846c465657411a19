/**
 * A Clef and a stave signer side by side for the differential: one key
 * folder (one key file written by Clef's `importraw`, one by stave's) copied
 * to each, each with its own config folder made by its own `init`, `setpw`
 * and `attest`, both running the same approve-everything rules file with the
 * same flags.
 *
 * @module
 */
import { join } from "node:path";
import { A, B } from "./_clef_corpus.ts";
import {
  APPROVE_EVERYTHING,
  copyTree,
  importKey,
  makeConfig,
  RAW_KEY_HEX,
  SECOND_KEY_HEX,
  type SignerProcess,
  startSigner,
} from "./_clef.ts";

/** Both signers of a differential run. */
export interface Pair {
  /** Real Clef. */
  clef: SignerProcess;
  /** stave. */
  stave: SignerProcess;
  /** The temp root. */
  root: string;
  /** Stops both and removes the files. */
  close(): Promise<void>;
}

/**
 * Sets up and starts both signers.
 *
 * @param opts `http`: also serve HTTP.
 * @returns The running pair.
 */
export async function startPair(opts: { http?: boolean } = {}): Promise<Pair> {
  const root = await Deno.makeTempDir({ prefix: "stave-clef-diff-" });
  const home = join(root, "home");
  await Deno.mkdir(home);
  const ks = join(root, "keystore");
  const a = await importKey("clef", ks, RAW_KEY_HEX, home);
  const b = await importKey("stave", ks, SECOND_KEY_HEX, home);
  if (a !== A || b !== B) throw new Error(`addresses ${a} ${b}`);
  const rules = join(root, "rules.js");
  await Deno.writeTextFile(rules, APPROVE_EVERYTHING);
  const started: SignerProcess[] = [];
  try {
    for (const p of ["clef", "stave"] as const) {
      await copyTree(ks, join(root, p, "keystore"));
      await Deno.mkdir(join(root, p, "state"));
    }
    await Promise.all(
      (["clef", "stave"] as const).map((p) =>
        makeConfig(p, join(root, p, "config"), [A, B], APPROVE_EVERYTHING, home)
      ),
    );
    const [clef, stave] = await Promise.all(
      (["clef", "stave"] as const).map((p) =>
        startSigner(p, {
          configdir: join(root, p, "config"),
          keystore: join(root, p, "keystore"),
          rules,
          stateDir: join(root, p, "state"),
          home,
          http: opts.http,
        }).then((s) => {
          started.push(s);
          return s;
        })
      ),
    );
    return {
      clef,
      stave,
      root,
      async close() {
        await Promise.all([clef.stop(), stave.stop()]);
        await Deno.remove(root, { recursive: true }).catch(() => {});
      },
    };
  } catch (err) {
    await Promise.all(started.map((s) => s.stop()));
    await Deno.remove(root, { recursive: true }).catch(() => {});
    throw err;
  }
}
