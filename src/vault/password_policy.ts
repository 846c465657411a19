/**
 * clef's password policy for new secrets: `init`, account creation and
 * imports (go-ethereum `signer/core/validation.go` `ValidatePasswordFormat`,
 * spec storage.md §6).
 *
 * @module
 */
import { StaveError } from "../errors.ts";

/** Minimum password length in UTF-8 bytes. */
export const MIN_PASSWORD_LENGTH = 10;

/** clef's text when the password is shorter than 10 bytes. */
export const PASSWORD_TOO_SHORT = "password too short (<10 characters)";

/** clef's text when the password has a character outside the allowed set. */
export const PASSWORD_INVALID_CHARACTERS =
  "password contains invalid characters - only 7bit printable ascii allowed";

/**
 * Checks a new password against clef's policy: at least 10 UTF-8 bytes
 * (checked first), every character in 0x20–0x7E except the backslash.
 *
 * @param password The password as typed.
 * @throws {StaveError} `password too short (<10 characters)` or
 *   `password contains invalid characters - only 7bit printable ascii allowed`.
 *
 * @example Usage
 * ```ts
 * import { checkPassword } from "./password_policy.ts";
 * import { throws } from "node:assert/strict";
 * checkPassword("correct horse");
 * throws(() => checkPassword("short"), { message: "password too short (<10 characters)" });
 * throws(() => checkPassword("Password\\123"), /invalid characters/);
 * ```
 */
export function checkPassword(password: string): void {
  // Go's len() counts UTF-8 bytes; lone surrogates encode as 3 bytes (U+FFFD).
  if (new TextEncoder().encode(password).length < MIN_PASSWORD_LENGTH) {
    throw new StaveError(PASSWORD_TOO_SHORT);
  }
  for (let i = 0; i < password.length; i++) {
    const c = password.charCodeAt(i);
    if (c < 0x20 || c > 0x7e || c === 0x5c) {
      throw new StaveError(PASSWORD_INVALID_CHARACTERS);
    }
  }
}
