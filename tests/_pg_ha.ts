/**
 * Helpers of the `--guard-db` black-box tests: a second host's copy of a
 * signer set-up (same key, same master seed, its own folders), the rule
 * that approves every Clique header and keeps `lastblock` in `storage`,
 * and a sealing client that records every seal that came back.
 *
 * @module
 */
import { strictEqual } from "node:assert/strict";
import {
  cliqueHeader,
  cliqueRlp,
  cliqueSealHash,
  type IpcClient,
  recoverCliqueSigner,
  type SignerSetup,
} from "./_daemon.ts";

/** Approves every Clique header; records the highest number in storage. */
export const GUARD_ONLY_RULES = `function OnSignerStartup(info){}
function ApproveListing(){ return "Approve" }
function ApproveSignData(r){
  if (r.content_type != "application/x-clique-header") return "Reject"
  for (var i = 0; i < r.messages.length; i++) {
    var msg = r.messages[i]
    if (msg.name == "Clique header" && msg.type == "clique") {
      var number = parseInt(msg.value.split(" ")[2])
      var latest = storage.get("lastblock") || 0
      if (number > latest) storage.put("lastblock", number)
      return "Approve"
    }
  }
  return "Reject"
}
`;

/**
 * Copies a set-up to new folders, as a standby host holds the same key
 * file, master seed and vault.
 *
 * @param s The set-up.
 * @returns The copy (its own socket, audit log and vault files).
 */
export async function cloneSetup(s: SignerSetup): Promise<SignerSetup> {
  const root = await Deno.makeTempDir({ prefix: "stave-test-ha-" });
  await Deno.remove(root);
  const cp = await new Deno.Command("cp", { args: ["-a", s.dirs.root, root] })
    .output();
  if (!cp.success) throw new Error(new TextDecoder().decode(cp.stderr));
  const move = (p: string) =>
    p.startsWith(s.dirs.root) ? root + p.slice(s.dirs.root.length) : p;
  return {
    ...s,
    dirs: {
      root,
      home: move(s.dirs.home),
      configdir: move(s.dirs.configdir),
      keystore: move(s.dirs.keystore),
      cleanup: () => Deno.remove(root, { recursive: true }),
    },
    configdir: move(s.configdir),
    keystore: move(s.keystore),
    home: move(s.home),
    masterPasswordFile: s.masterPasswordFile && move(s.masterPasswordFile),
    rulesPath: s.rulesPath && move(s.rulesPath),
    cleanup: () => Deno.remove(root, { recursive: true }),
  };
}

/** Every seal that came back: height → seal hash → seal. */
export type SealLog = Map<bigint, Map<string, string>>;

/** What one sealing attempt came to. */
export type Attempt = "signed" | "refused" | "lost";

/**
 * Asks for a seal of a header at `n` (`variant` makes it differ) and
 * records the seal, checked against the account, when one comes back.
 *
 * @returns The outcome and the error message, if any.
 */
export async function sealOnce(
  c: IpcClient,
  address: string,
  n: bigint,
  variant: bigint,
  log: SealLog,
): Promise<{ outcome: Attempt; message?: string }> {
  const h = cliqueHeader(n, { time: 1_700_000_000n + n * 15n + variant });
  const r = await c.request("account_signData", [
    "application/x-clique-header",
    address,
    cliqueRlp(h),
  ]);
  if (r.error?.code === -1) return { outcome: "lost" };
  if (r.error) return { outcome: "refused", message: r.error.message };
  const seal = r.result as string;
  strictEqual(recoverCliqueSigner(h, seal), address, `block ${n}`);
  const byHash = log.get(n) ?? new Map<string, string>();
  byHash.set(cliqueSealHash(h), seal);
  log.set(n, byHash);
  return { outcome: "signed" };
}

/** Heights that carry seals of two different headers. */
export function doubleSigned(log: SealLog): bigint[] {
  return [...log].filter(([, m]) => m.size > 1).map(([n]) => n);
}
