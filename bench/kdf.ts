/**
 * scrypt benchmark: one standard geth derivation (N=2^18, r=8, p=1,
 * dkLen=32) with stave's implementation (`src/keystore/kdf.ts`, hash-wasm)
 * and with `@noble/hashes` `scryptAsync` as the baseline, in the same run.
 * Prints both times and the ratio baseline/stave (> 1: stave is faster).
 *
 * Each implementation runs in its own child process (same flags, back to
 * back), after a tiny warm-up derivation that loads and compiles it: in one
 * process the second 256 MiB derivation would also pay for collecting the
 * first one's memory, which skews whichever runs second.
 *
 * Run: `deno task bench`.
 *
 * @module
 */
import { scryptAsync } from "@noble/hashes/scrypt.js";
import {
  scrypt,
  SCRYPT_DKLEN,
  SCRYPT_R,
  STANDARD_SCRYPT_N,
  STANDARD_SCRYPT_P,
} from "../src/keystore/kdf.ts";

const params = {
  N: STANDARD_SCRYPT_N,
  r: SCRYPT_R,
  p: STANDARD_SCRYPT_P,
  dkLen: SCRYPT_DKLEN,
};

interface Result {
  ms: number;
  hex: string;
}

async function measure(impl: string, saltHex: string): Promise<Result> {
  const password = new TextEncoder().encode("stave benchmark password");
  const salt = Uint8Array.from(
    saltHex.match(/../g) ?? [],
    (h) => parseInt(h, 16),
  );
  const run = impl === "stave"
    ? (p: typeof params) => scrypt(password, salt, p)
    : (p: typeof params) => scryptAsync(password, salt, p);
  await run({ N: 16, r: 8, p: 1, dkLen: 32 });
  const t = performance.now();
  const dk = await run(params);
  const ms = performance.now() - t;
  const hex = Array.from(dk, (b) => b.toString(16).padStart(2, "0")).join("");
  return { ms, hex };
}

async function child(impl: string, saltHex: string): Promise<Result> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "--quiet", import.meta.url, `--impl=${impl}`, saltHex],
    stdout: "piped",
    stderr: "inherit",
  }).output();
  if (!out.success) throw new Error(`${impl} run failed`);
  return JSON.parse(new TextDecoder().decode(out.stdout));
}

const impl = Deno.args.find((a) => a.startsWith("--impl="))?.slice(7);
if (impl) {
  console.log(JSON.stringify(await measure(impl, Deno.args[1])));
} else {
  const saltHex = Array.from(
    crypto.getRandomValues(new Uint8Array(32)),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");
  const ours = await child("stave", saltHex);
  const base = await child("noble", saltHex);
  if (ours.hex !== base.hex) {
    console.error("outputs differ: implementations disagree");
    Deno.exit(1);
  }
  console.log(
    `scrypt N=${params.N} r=${params.r} p=${params.p} dkLen=${params.dkLen}`,
  );
  console.log(`stave (hash-wasm)          ${ours.ms.toFixed(0)} ms`);
  console.log(`@noble/hashes scryptAsync  ${base.ms.toFixed(0)} ms`);
  console.log(`ratio noble/stave          ${(base.ms / ours.ms).toFixed(2)}`);
}
