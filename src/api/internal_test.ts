import { deepStrictEqual, ok, rejects, strictEqual } from "node:assert/strict";
import { FsKeyStore } from "../cli/fs_key_dir.ts";
import { FourByteDb } from "../signing/fourbyte.ts";
import { JsonNumber, type JsonValue, parseJson } from "../json.ts";
import type { Ui } from "../ui/ui.ts";
import { SignerApi } from "./external.ts";
import { createInternalApi, hexToPrivateKey } from "./internal.ts";
import { KeyUnlocker } from "./key_unlock.ts";

const KEY_HEX =
  "0102030405060708090a0102030405060708090a0102030405060708090a0102";
const ADDR = "0x9160dc9105f7de5dc5e7f3d97ef11da47269bda6";
const silent = { debug() {}, info() {}, warn() {}, error() {} };

async function setup(passwords: string[] = []) {
  const dir = await Deno.makeTempDir();
  const keystore = new FsKeyStore(dir, { scryptN: 16, scryptP: 1 });
  const ui = {
    onInputRequired: () => {
      const pw = passwords.shift();
      return pw === undefined
        ? Promise.reject(new Error("no input"))
        : Promise.resolve({ text: pw });
    },
    showError() {},
  } as unknown as Ui;
  const api = new SignerApi({
    ui,
    keystore,
    chainId: 1n,
    advanced: false,
    fourByte: new FourByteDb(),
    unlocker: new KeyUnlocker(),
    logger: silent,
  });
  const call = createInternalApi(api, keystore);
  return {
    call: (m: string, p?: JsonValue) => call(m, p),
    api,
    keystore,
    done: async () => {
      api.close();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

Deno.test("clef_listAccounts is null when empty; clef_importRawKey adds an account", async () => {
  const t = await setup();
  try {
    strictEqual(await t.call("clef_listAccounts"), null);
    deepStrictEqual(await t.call("clef_listWallets"), []);
    const acc = await t.call("clef_importRawKey", [KEY_HEX, "a good password"]);
    strictEqual((acc as { address: string }).address, ADDR);
    const list = await t.call("clef_listAccounts") as { address: string }[];
    deepStrictEqual(list.map((a) => a.address), [ADDR]);
    const wallets = await t.call("clef_listWallets") as {
      status: string;
    }[];
    strictEqual(wallets[0].status, "Locked");
    await rejects(
      t.call("clef_importRawKey", [KEY_HEX, "a good password"]),
      { message: "account already exists" },
    );
  } finally {
    await t.done();
  }
});

Deno.test("clef_importRawKey reports clef's key and password errors", async () => {
  const t = await setup();
  try {
    await rejects(
      t.call("clef_importRawKey", ["zz" + KEY_HEX.slice(2), "a good password"]),
      {
        message: "invalid hex character 'z' in private key",
      },
    );
    await rejects(t.call("clef_importRawKey", ["abc", "a good password"]), {
      message: "invalid hex data for private key",
    });
    await rejects(t.call("clef_importRawKey", ["0102", "a good password"]), {
      message: "invalid length, need 256 bits",
    });
    await rejects(t.call("clef_importRawKey", [KEY_HEX, "short"]), {
      message:
        "password requirements not met: password too short (<10 characters)",
    });
    await rejects(t.call("clef_nope"), {
      message: "the method clef_nope does not exist/is not available",
    });
  } finally {
    await t.done();
  }
});

Deno.test("clef_setChainId accepts numbers, decimal and hex strings", async () => {
  const t = await setup();
  try {
    strictEqual(await t.call("clef_chainId"), "0x1");
    strictEqual(await t.call("clef_setChainId", [new JsonNumber("5")]), "0x5");
    strictEqual(await t.call("clef_setChainId", ["17000"]), "0x4268");
    strictEqual(await t.call("clef_setChainId", ["0x10"]), "0x10");
    strictEqual(t.api.chainId, 16n);
    await rejects(t.call("clef_setChainId", ["x"]));
  } finally {
    await t.done();
  }
});

Deno.test("clef_export returns the key file; clef_import re-encrypts it under a new password", async () => {
  const t = await setup();
  try {
    await t.call("clef_importRawKey", [KEY_HEX, "a good password"]);
    const exported = await t.call("clef_export", [ADDR]) as JsonValue;
    const text = JSON.stringify(exported);
    ok(text.includes('"address":"9160dc9105f7de5dc5e7f3d97ef11da47269bda6"'));
    // Import into a second, empty key folder.
    const t2 = await setup();
    try {
      await rejects(
        t2.call("clef_import", [exported, "a good password", "tiny"]),
        /password requirements not met/,
      );
      await rejects(
        t2.call("clef_import", [
          exported,
          "wrong password",
          "another password",
        ]),
        { message: "could not decrypt key with given password" },
      );
      const acc = await t2.call("clef_import", [
        parseJson(text),
        "a good password",
        "another good password",
      ]) as { address: string };
      strictEqual(acc.address, ADDR);
    } finally {
      await t2.done();
    }
    await rejects(t.call("clef_export", ["0x" + "00".repeat(20)]), {
      message: "unknown account",
    });
  } finally {
    await t.done();
  }
});

Deno.test("clef_new uses the three-attempt password loop", async () => {
  const t = await setup(["short", "another good password"]);
  try {
    const addr = await t.call("clef_new") as string;
    ok(/^0x[0-9a-f]{40}$/.test(addr));
    const t2 = await setup([]);
    try {
      await rejects(t2.call("clef_new"), {
        message: "account creation failed",
      });
    } finally {
      await t2.done();
    }
  } finally {
    await t.done();
  }
});

Deno.test("hexToPrivateKey() rejects keys out of range", () => {
  strictEqual(hexToPrivateKey(KEY_HEX).length, 32);
  ok(
    (() => {
      try {
        hexToPrivateKey("00".repeat(32));
      } catch (e) {
        return (e as Error).message === "invalid private key, zero or negative";
      }
    })(),
  );
});
