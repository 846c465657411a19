/**
 * `stave gendoc` (spec ui-api.md §6): Markdown documentation of the data
 * types exchanged with a UI, one section per type with a JSON example in
 * the field order stave emits. No boot warning.
 *
 * @module
 */
import type { CommandContext } from "./_context.ts";

const META = {
  remote: "localhost:9999",
  local: "localhost:8545",
  scheme: "http",
  "User-Agent": "Firefox 3.2",
  Origin: "www.malicious.ru",
};

const TX = {
  from: "0xDEADbEeF000000000000000000000000DeaDbeEf",
  to: null,
  gas: "0x3e8",
  gasPrice: "0x5",
  maxFeePerGas: null,
  maxPriorityFeePerGas: null,
  value: "0x6",
  nonce: "0x1",
  data: "0x01020304",
};

const TX_TO = { ...TX, to: "0x1111111111111111111111111111111111111111" };

const SIGNED_TX = {
  type: "0x0",
  chainId: "0x1",
  nonce: "0x1",
  to: "0x1111111111111111111111111111111111111111",
  gas: "0x3e8",
  gasPrice: "0x5",
  maxPriorityFeePerGas: null,
  maxFeePerGas: null,
  value: "0x6",
  input: "0x01020304",
  v: "0x25",
  r: "0x3a4e8ea4d0c3e6f0c9a86f77b8cbb6e5c5dbc8fc5d56d0a3e1b1b0f0d5e5f5a1",
  s: "0x6f1d2c3b4a5968778695a4b3c2d1e0f0e1d2c3b4a5968778695a4b3c2d1e0f0",
  hash: "0x5c4f3e2d1c0b0a99887766554433221100ffeeddccbbaa998877665544332211",
};

interface Section {
  name: string;
  description: string;
  example: unknown;
}

const SECTIONS: Section[] = [
  {
    name: "SignDataRequest",
    description:
      "Sent to the UI (`ui_approveSignData`) when a caller asks for a data signature: " +
      "`account_signData`, `account_signTypedData` or `account_signGnosisSafeTransaction`. " +
      "`raw_data` is the standard base64 of the exact bytes whose keccak256 (`hash`) is signed; " +
      "`messages` is the readable rendering; `call_info` carries validation messages (Gnosis Safe only, else null); " +
      "`meta` describes the caller and is attacker-controlled over HTTP.",
    example: {
      content_type: "text/plain",
      address: "0xDEADbEeF000000000000000000000000DeaDbeEf",
      raw_data: "GUV0aGVyZXVtIFNpZ25lZCBNZXNzYWdlOgoxMWhlbGxvIHdvcmxk",
      messages: [{
        name: "message",
        value: "\u0019Ethereum Signed Message:\n11hello world",
        type: "text/plain",
      }],
      call_info: null,
      hash:
        "0xd9eba16ed0ecae432b71fe008c98cc872bb4cc214d3220a36f365326cf807d68",
      meta: META,
    },
  },
  {
    name: "SignDataResponse - approve",
    description: "The UI's answer to approve a data signature.",
    example: { approved: true },
  },
  {
    name: "SignDataResponse - deny",
    description:
      "The UI's answer to deny a data signature; the caller gets `request denied`.",
    example: { approved: false },
  },
  {
    name: "SignTxRequest",
    description:
      "Sent to the UI (`ui_approveTx`) for `account_signTransaction`, after validation. " +
      "`transaction` is the request as the signer will sign it (calldata always in `data`); " +
      "`call_info` lists validation messages (`WARNING`, `CRITICAL`, `Info`) or is null when there are none.",
    example: {
      transaction: TX,
      call_info: [
        {
          type: "WARNING",
          message: "Transaction will create a contract with empty code",
        },
        { type: "Info", message: "Transaction data did not match ABI" },
      ],
      meta: META,
    },
  },
  {
    name: "SignTxResponse - approve",
    description:
      "The UI's answer to approve a transaction. The returned `transaction` is what gets signed: " +
      "a UI may change it (e.g. gas or nonce); it is not validated again.",
    example: { transaction: TX_TO, approved: true },
  },
  {
    name: "SignTxResponse - deny",
    description:
      "The UI's answer to deny a transaction; the transaction may be omitted.",
    example: { transaction: TX_TO, approved: false },
  },
  {
    name: "OnApproved - SignTransactionResult",
    description:
      "Sent to the UI (`ui_onApprovedTx`) after a transaction was signed: `raw` is the RLP-encoded signed " +
      "transaction, `tx` its JSON form (the same object the caller receives).",
    example: { raw: "0xf86501058203e8941111...", tx: SIGNED_TX },
  },
  {
    name: "UserInputRequest",
    description:
      "Sent to the UI (`ui_onInputRequired`) when the signer needs text from the user, " +
      "e.g. the master password at startup or a key password for signing.",
    example: {
      title: "Account password",
      prompt:
        "Please enter the password for account 0xDEADbEeF000000000000000000000000DeaDbeEf",
      isPassword: true,
    },
  },
  {
    name: "UserInputResponse",
    description: "The text the user entered.",
    example: { text: "The user's input" },
  },
  {
    name: "ListRequest",
    description:
      "Sent to the UI (`ui_approveListing`) for `account_list`: every account the signer knows, " +
      "with lowercase addresses and `scheme://path` URLs.",
    example: {
      accounts: [
        {
          address: "0xdeadbeef000000000000000000000000deadbeef",
          url: "keystore:///path/to/keyfile/a",
        },
        {
          address: "0x1111111111111111111111111111111111111111",
          url: "keystore:///path/to/keyfile/b",
        },
      ],
      meta: META,
    },
  },
  {
    name: "ListResponse",
    description:
      "The accounts the caller may see. A null (or missing) `accounts` denies the request; " +
      "an empty list approves with an empty result. Only the addresses are used.",
    example: {
      accounts: [
        {
          address: "0xdeadbeef000000000000000000000000deadbeef",
          url: "keystore:///path/to/keyfile/a",
        },
      ],
    },
  },
];

/**
 * The full `gendoc` text.
 *
 * @returns Markdown.
 *
 * @example Usage
 * ```ts
 * import { gendocText } from "./gendoc.ts";
 * import { ok } from "node:assert/strict";
 * ok(gendocText().startsWith("## UI Client interface\n"));
 * ok(gendocText().includes("### ListResponse\n"));
 * ```
 */
export function gendocText(): string {
  let s =
    "## UI Client interface\n\nThese data types travel on the trusted channel between stave and its UI (`--stdio-ui`).\n";
  for (const sec of SECTIONS) {
    s += `### ${sec.name}\n\n${sec.description}\n\nExample:\n\`\`\`json\n${
      JSON.stringify(sec.example, null, 2)
    }\n\`\`\`\n`;
  }
  return s;
}

/**
 * Runs `gendoc`: prints {@linkcode gendocText} (no boot warning).
 *
 * @param ctx The command context.
 */
export function runGendoc(ctx: CommandContext): Promise<void> {
  ctx.term.write(gendocText());
  return Promise.resolve();
}
