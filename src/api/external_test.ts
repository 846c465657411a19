import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { keccak_256 } from "@noble/hashes/sha3.js";
import { Transaction } from "ethers";
import { MixedcaseAddress, toChecksumAddress } from "../address.ts";
import { fromHex, to0xHex } from "../_bytes.ts";
import { RequestDeniedError, UnknownAccountError } from "../errors.ts";
import { FsKeyStore } from "../cli/fs_key_dir.ts";
import { MemoryStore } from "../vault/store.ts";
import { FourByteDb } from "../signing/fourbyte.ts";
import { decodeSendTxArgs } from "../signing/send_tx_args.ts";
import { decodeGnosisSafeTx } from "../signing/gnosis.ts";
import { encodeHeader } from "../signing/clique.ts";
import { ecRecover } from "../signing/ecrecover.ts";
import { recoverPublicKey } from "../signing/signature.ts";
import { publicKeyToAddress } from "../signing/ecrecover.ts";
import { parseJson } from "../json.ts";
import type {
  Metadata,
  SignDataRequest,
  SignTxRequest,
  Ui,
  UserInputRequest,
} from "../ui/ui.ts";
import { SignerApi, type SignerOptions } from "./external.ts";
import { CliqueGuard } from "./clique_guard.ts";
import { KeyCache, KeyUnlocker } from "./key_unlock.ts";

const KEY = fromHex(
  "0102030405060708090a0102030405060708090a0102030405060708090a0102",
);
const ADDR = "0x9160DC9105f7De5dC5E7f3d97ef11DA47269BdA6";
const PW = "key password 1";
const META: Metadata = {
  remote: "NA",
  local: "NA",
  scheme: "ipc",
  "User-Agent": "",
  Origin: "",
};

/** A UI that records calls and answers from a script. */
class ScriptUi implements Ui {
  calls: string[] = [];
  approve = true;
  passwords: string[] = [];
  errors: string[] = [];
  approveTx(r: SignTxRequest) {
    this.calls.push("approveTx");
    return Promise.resolve({
      transaction: r.transaction,
      approved: this.approve,
    });
  }
  approveSignData(_r: SignDataRequest) {
    this.calls.push("approveSignData");
    return Promise.resolve({ approved: this.approve });
  }
  approveListing(r: { accounts: { address: string; url: string }[] }) {
    this.calls.push("approveListing");
    return Promise.resolve({ accounts: this.approve ? r.accounts : null });
  }
  approveNewAccount() {
    this.calls.push("approveNewAccount");
    return Promise.resolve({ approved: this.approve });
  }
  onInputRequired(r: UserInputRequest) {
    this.calls.push(`input:${r.title}`);
    const pw = this.passwords.shift();
    return pw === undefined
      ? Promise.reject(new Error("no input"))
      : Promise.resolve({ text: pw });
  }
  showError(text: string) {
    this.errors.push(text);
  }
  showInfo() {}
  onApprovedTx() {
    this.calls.push("onApprovedTx");
  }
  onSignerStartup() {}
}

const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function setup(opts: Partial<SignerOptions> & { stored?: string } = {}) {
  const dir = await Deno.makeTempDir();
  const keystore = new FsKeyStore(dir, { scryptN: 16, scryptP: 1 });
  const acc = await keystore.importKey(KEY, PW);
  const credentials = new MemoryStore();
  if (opts.stored !== undefined) await credentials.put(ADDR, opts.stored);
  const ui = new ScriptUi();
  const keyCache = new KeyCache();
  const api = new SignerApi({
    ui,
    keystore,
    credentials,
    chainId: 4n,
    advanced: false,
    fourByte: new FourByteDb(),
    unlocker: new KeyUnlocker(),
    keyCache,
    logger: silent,
    ...opts,
  });
  const done = async () => {
    api.close();
    await Deno.remove(dir, { recursive: true });
  };
  return { api, ui, keystore, keyCache, credentials, acc, done };
}

function addr(s = ADDR) {
  return new MixedcaseAddress(fromHex(s), s);
}

const hello = "0x" +
  Array.from(
    new TextEncoder().encode("hello"),
    (b) => b.toString(16).padStart(2, "0"),
  ).join("");

Deno.test("SignerApi.signData() asks the UI before revealing an unknown account", async () => {
  const t = await setup({ stored: PW });
  try {
    const other = "0x" + "ab".repeat(20);
    t.ui.approve = false;
    await rejects(
      t.api.signData("text/plain", addr(other), hello, META),
      RequestDeniedError,
    );
    t.ui.approve = true;
    await rejects(
      t.api.signData("text/plain", addr(other), hello, META),
      UnknownAccountError,
    );
    deepStrictEqual(t.ui.calls, ["approveSignData", "approveSignData"]);
    deepStrictEqual(t.ui.errors, ["request denied", "unknown account"]);
  } finally {
    await t.done();
  }
});

Deno.test("SignerApi.signData() signs text with v 27/28 that recovers to the signer", async () => {
  const t = await setup({ stored: PW });
  try {
    const sig = fromHex(
      await t.api.signData("text/plain", addr(), hello, META),
    );
    ok(sig[64] === 27 || sig[64] === 28);
    strictEqual(
      toChecksumAddress(ecRecover(fromHex(hello), sig)),
      ADDR,
    );
  } finally {
    await t.done();
  }
});

Deno.test("SignerApi caches a key with a stored password after its first use only", async () => {
  const t = await setup({ stored: PW });
  try {
    strictEqual(t.keyCache.size, 0);
    await t.api.signData("text/plain", addr(), hello, META);
    strictEqual(t.keyCache.size, 1);
    // A wrong stored password no longer matters while the file is unchanged.
    await t.credentials.put(ADDR, "wrong password");
    await t.api.signData("text/plain", addr(), hello, META);
    // Rewriting the key file invalidates the cached key: the file rules.
    const text = await Deno.readTextFile(t.acc.path);
    await Deno.writeTextFile(t.acc.path, text + " ");
    await rejects(
      t.api.signData("text/plain", addr(), hello, META),
      /could not decrypt key with given password/,
    );
    strictEqual(t.keyCache.size, 0);
  } finally {
    await t.done();
  }
});

Deno.test("SignerApi never caches a key whose password came from the UI", async () => {
  const t = await setup();
  try {
    t.ui.passwords.push(PW, PW);
    await t.api.signData("text/plain", addr(), hello, META);
    await t.api.signData("text/plain", addr(), hello, META);
    strictEqual(t.keyCache.size, 0);
    deepStrictEqual(
      t.ui.calls.filter((c) => c.startsWith("input:")),
      ["input:Password for signing", "input:Password for signing"],
    );
    // A UI that cannot answer gives clef's "internal error".
    await rejects(
      t.api.signData("text/plain", addr(), hello, META),
      /^StaveError: internal error$|internal error/,
    );
  } finally {
    await t.done();
  }
});

Deno.test("SignerApi with --keycache=false decrypts on every request", async () => {
  const t = await setup({ stored: PW, keyCache: undefined });
  try {
    await t.api.signData("text/plain", addr(), hello, META);
    await t.credentials.put(ADDR, "wrong password");
    await rejects(
      t.api.signData("text/plain", addr(), hello, META),
      /could not decrypt key with given password/,
    );
  } finally {
    await t.done();
  }
});

Deno.test("SignerApi.signTransaction() signs with the configured chain id and notifies the UI", async () => {
  const t = await setup({ stored: PW });
  try {
    const args = decodeSendTxArgs(parseJson(JSON.stringify({
      from: ADDR,
      to: ADDR,
      gas: "0x5208",
      gasPrice: "0x3b9aca00",
      maxFeePerGas: null,
      maxPriorityFeePerGas: null,
      value: "0x1",
      nonce: "0x2",
      input: "0x",
      chainId: "0x4",
    })));
    const res = await t.api.signTransaction(args, undefined, META);
    const tx = Transaction.from(res.raw);
    strictEqual(tx.from, ADDR);
    strictEqual(tx.chainId, 4n);
    strictEqual(tx.nonce, 2);
    deepStrictEqual(t.ui.calls, ["approveTx", "onApprovedTx"]);

    const wrongChain = decodeSendTxArgs(parseJson(JSON.stringify({
      from: ADDR,
      to: ADDR,
      gas: "0x5208",
      gasPrice: "0x1",
      value: "0x1",
      nonce: "0x2",
      chainId: "0x5",
    })));
    await rejects(
      t.api.signTransaction(wrongChain, undefined, META),
      {
        message:
          "requested chainid 5 does not match the configuration of the signer",
      },
    );
  } finally {
    await t.done();
  }
});

Deno.test("SignerApi.signTransaction() without from is an unknown account after approval, as in Clef", async () => {
  // Clef hands the approved SendTxArgs struct on; its JSON form ("from":"0x")
  // cannot be decoded again, so it must not be round-tripped.
  const t = await setup({ stored: PW });
  try {
    const args = decodeSendTxArgs(parseJson(JSON.stringify({
      to: ADDR,
      gas: "0x5208",
      gasPrice: "0x1",
      value: "0x1",
      nonce: "0x0",
    })));
    await rejects(
      t.api.signTransaction(args, undefined, META),
      UnknownAccountError,
    );
    deepStrictEqual(t.ui.calls, ["approveTx"]);
  } finally {
    await t.done();
  }
});

Deno.test("SignerApi.signGnosisSafeTx() validates an absent to as the zero address, as in Clef", async () => {
  // Clef's GnosisSafeTx.To is a value, never nil: ArgsForValidation always
  // has a recipient, so no "will create a contract" warning.
  const t = await setup({ stored: PW });
  try {
    await rejects(
      t.api.signGnosisSafeTx(
        addr(),
        decodeGnosisSafeTx(parseJson("{}")),
        undefined,
        META,
      ),
      {
        message:
          "validation failed: Invalid checksum on recipient address,Transaction recipient is the zero address",
      },
    );
    deepStrictEqual(t.ui.calls, []);
  } finally {
    await t.done();
  }
});

function cliqueHeader(number: bigint, extraByte: number): string {
  return to0xHex(encodeHeader({
    parentHash: new Uint8Array(32),
    uncleHash: new Uint8Array(32),
    coinbase: new Uint8Array(20),
    root: new Uint8Array(32),
    txHash: new Uint8Array(32),
    receiptHash: new Uint8Array(32),
    bloom: new Uint8Array(256),
    difficulty: 2n,
    number,
    gasLimit: 8_000_000n,
    gasUsed: 0n,
    time: 1_700_000_000n + number % 1_000_000n,
    extra: new Uint8Array(32).fill(extraByte),
    mixDigest: new Uint8Array(32),
    nonce: new Uint8Array(8),
    baseFee: 7n,
  }));
}

Deno.test("SignerApi with a Clique guard seals each height once and never lower", async () => {
  const guardStore = new MemoryStore();
  const t = await setup({
    stored: PW,
    cliqueGuard: new CliqueGuard(guardStore),
  });
  try {
    const ct = "application/x-clique-header";
    const h10 = cliqueHeader(10n, 1);
    const sig = fromHex(await t.api.signData(ct, addr(), h10, META));
    ok(sig[64] === 0 || sig[64] === 1, "Clique keeps V as 0/1");
    // The seal recovers to the signer over keccak(cliqueRLP) (= raw_data).
    const raw = fromHex(h10);
    strictEqual(
      toChecksumAddress(
        publicKeyToAddress(recoverPublicKey(keccak_256(raw), sig)),
      ),
      ADDR,
    );
    // Same header again: allowed (deterministic signature).
    strictEqual(
      await t.api.signData(ct, addr(), h10, META),
      to0xHex(sig),
    );
    await rejects(
      t.api.signData(ct, addr(), cliqueHeader(10n, 2), META),
      /second, different header at block 10/,
    );
    await rejects(
      t.api.signData(ct, addr(), cliqueHeader(9n, 1), META),
      /below the highest signed block 10/,
    );
    await t.api.signData(ct, addr(), cliqueHeader(11n, 1), META);
  } finally {
    await t.done();
  }
});

Deno.test("SignerApi.list() returns what the UI allowed, or request denied", async () => {
  const t = await setup();
  try {
    deepStrictEqual(await t.api.list(META), [ADDR.toLowerCase()]);
    t.ui.approve = false;
    await rejects(t.api.list(META), RequestDeniedError);
  } finally {
    await t.done();
  }
});

Deno.test("SignerApi.signTransaction() signs the approved request itself: no from is unknown account", async () => {
  const t = await setup({ stored: PW });
  try {
    const args = decodeSendTxArgs(parseJson(JSON.stringify({
      to: ADDR,
      gas: "0x5208",
      gasPrice: "0x1",
      value: "0x1",
      nonce: "0x0",
    })));
    await rejects(
      t.api.signTransaction(args, undefined, META),
      UnknownAccountError,
    );
    deepStrictEqual(t.ui.calls, ["approveTx"]);
  } finally {
    await t.done();
  }
});

Deno.test("SignerApi.signTransaction() keeps blobVersion 1 of an unedited approval", async () => {
  const t = await setup({ stored: PW });
  try {
    const args = decodeSendTxArgs(parseJson(JSON.stringify({
      from: ADDR,
      to: ADDR,
      gas: "0x5208",
      maxFeePerGas: "0x2",
      maxPriorityFeePerGas: "0x1",
      maxFeePerBlobGas: "0x1",
      value: "0x0",
      nonce: "0x0",
      blobVersion: 1,
      blobVersionedHashes: ["0x01" + "00".repeat(31)],
    })));
    const res = await t.api.signTransaction(args, undefined, META);
    strictEqual(Transaction.from(res.raw).type, 3);
    strictEqual(Transaction.from(res.raw).from, ADDR);
  } finally {
    await t.done();
  }
});

Deno.test("SignerApi.signTransaction() answers a UI's undecodable transaction with -32000", async () => {
  const t = await setup({ stored: PW });
  // A stdio UI sends the transaction back as JSON: "from":"0x" (no sender)
  // does not decode, as in clef, whose answer is the decoder's error.
  t.ui.approveTx = (r: SignTxRequest) => {
    t.ui.calls.push("approveTx");
    return Promise.resolve({
      transaction: parseJson(JSON.stringify(r.transaction)) as Record<
        string,
        unknown
      >,
      approved: true,
    });
  };
  try {
    const args = decodeSendTxArgs(parseJson(JSON.stringify({
      to: ADDR,
      gas: "0x5208",
      gasPrice: "0x1",
      value: "0x1",
      nonce: "0x0",
    })));
    await rejects(t.api.signTransaction(args, undefined, META), (e: Error) => {
      strictEqual(
        e.message,
        "hex string has length 0, want 40 for common.Address",
      );
      strictEqual((e as { code?: number }).code, -32000);
      return true;
    });
  } finally {
    await t.done();
  }
});

Deno.test("SignerApi with a Clique guard neither seals nor records a number over 64 bits", async () => {
  const guardStore = new MemoryStore();
  const t = await setup({
    stored: PW,
    cliqueGuard: new CliqueGuard(guardStore),
  });
  try {
    const ct = "application/x-clique-header";
    await t.api.signData(ct, addr(), cliqueHeader(10n, 1), META);
    await rejects(
      t.api.signData(ct, addr(), cliqueHeader(2n ** 64n, 1), META),
      {
        code: -32000,
        message:
          "clique: refusing to seal block 18446744073709551616: a block number must fit in 64 bits",
      },
    );
    // Refused before approval, and the next real height still seals.
    deepStrictEqual(t.ui.calls, ["approveSignData"]);
    await t.api.signData(ct, addr(), cliqueHeader(11n, 1), META);
  } finally {
    await t.done();
  }
});

Deno.test("SignerApi with --keycache=false wipes every key it was handed", async () => {
  const handed: Uint8Array[] = [];
  const real = new KeyUnlocker();
  const unlocker = {
    async decrypt(json: string, password: string) {
      const k = await real.decrypt(json, password);
      handed.push(k.privateKey);
      return k;
    },
    close: () => real.close(),
  } as unknown as KeyUnlocker;
  const t = await setup({ stored: PW, keyCache: undefined, unlocker });
  try {
    await t.api.signData("text/plain", addr(), hello, META);
    await t.api.signData(
      "application/x-clique-header",
      addr(),
      cliqueHeader(5n, 1),
      META,
    );
    const args = decodeSendTxArgs(parseJson(JSON.stringify({
      from: ADDR,
      to: ADDR,
      gas: "0x5208",
      gasPrice: "0x1",
      value: "0x0",
      nonce: "0x0",
    })));
    await t.api.signTransaction(args, undefined, META);
    // A failing signature (wrong chain id 0 makes the signer refuse) too.
    t.api.chainId = 0n;
    await rejects(t.api.signTransaction(args, undefined, META));
    strictEqual(handed.length, 4);
    for (const k of handed) deepStrictEqual(k, new Uint8Array(32));
  } finally {
    await t.done();
  }
});
