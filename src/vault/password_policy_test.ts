import { strictEqual, throws } from "node:assert/strict";
import { StaveError } from "../errors.ts";
import {
  checkPassword,
  PASSWORD_INVALID_CHARACTERS,
  PASSWORD_TOO_SHORT,
} from "./password_policy.ts";

const ALL_PRINTABLE_BUT_BACKSLASH = Array.from(
  { length: 0x7f - 0x20 },
  (_, i) => String.fromCharCode(0x20 + i),
).filter((c) => c !== "\\").join("");

Deno.test("checkPassword() accepts 10+ bytes of printable ASCII except backslash", () => {
  for (
    const pw of [
      "0123456789",
      "correct horse battery",
      "          ",
      ALL_PRINTABLE_BUT_BACKSLASH,
      "!\"#$%&'()*+,-./:;<=>?@[]^_`{|}~",
    ]
  ) {
    checkPassword(pw);
  }
});

Deno.test("checkPassword() table of rejections", () => {
  const table: [string, string][] = [
    ["", PASSWORD_TOO_SHORT],
    ["012345678", PASSWORD_TOO_SHORT],
    ["Password\\123", PASSWORD_INVALID_CHARACTERS],
    ["0123456789\\", PASSWORD_INVALID_CHARACTERS],
    ["0123456789\t", PASSWORD_INVALID_CHARACTERS],
    ["0123456789\n", PASSWORD_INVALID_CHARACTERS],
    ["0123456789\x7f", PASSWORD_INVALID_CHARACTERS],
    ["0123456789\x00", PASSWORD_INVALID_CHARACTERS],
    ["passwörd123", PASSWORD_INVALID_CHARACTERS],
    // 5 characters but 10 UTF-8 bytes: long enough, then invalid.
    ["ééééé", PASSWORD_INVALID_CHARACTERS],
    // 4 characters, 9 bytes: too short is reported first.
    ["éééé\\", PASSWORD_TOO_SHORT],
    ["\u{1F600}\u{1F600}\u{1F600}", PASSWORD_INVALID_CHARACTERS],
    ["\ud800\ud800\ud800\ud800", PASSWORD_INVALID_CHARACTERS],
  ];
  for (const [pw, message] of table) {
    throws(() => checkPassword(pw), (e: unknown) => {
      strictEqual((e as Error).message, message, JSON.stringify(pw));
      return e instanceof StaveError;
    });
  }
});

Deno.test("checkPassword() uses clef's exact texts", () => {
  strictEqual(PASSWORD_TOO_SHORT, "password too short (<10 characters)");
  strictEqual(
    PASSWORD_INVALID_CHARACTERS,
    "password contains invalid characters - only 7bit printable ascii allowed",
  );
});
