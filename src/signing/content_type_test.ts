import { strictEqual, throws } from "node:assert/strict";
import { parseMediaType } from "./content_type.ts";

Deno.test("parseMediaType() lowercases and drops parameters", () => {
  const ok: [string, string][] = [
    ["text/plain", "text/plain"],
    [" Text/Plain ; charset=UTF-8", "text/plain"],
    ["DATA/Typed", "data/typed"],
    ["application/x-clique-header", "application/x-clique-header"],
    ["text", "text"],
    ["foo/bar;", "foo/bar"],
    ["foo/bar; a=1; ", "foo/bar"],
    ['foo/bar; a="x;y\\"z"', "foo/bar"],
    ["foo/bar; a=1; a=1", "foo/bar"],
    ["foo/bar; a*0=x; a*1=y", "foo/bar"],
    ["text/plaİn", "text/plain"], // Go's ToLower maps U+0130 to "i"
    ["x/\u212a", "x/k"], // Kelvin sign lowercases to ASCII k
  ];
  for (const [input, want] of ok) {
    strictEqual(parseMediaType(input), want, input);
  }
});

Deno.test("parseMediaType() fails with Go's mime errors", () => {
  const bad: [string, string][] = [
    ["", "mime: no media type"],
    ["   ", "mime: no media type"],
    [";charset=x", "mime: no media type"],
    ["/plain", "mime: no media type"],
    ["text plain", "mime: expected slash after first token"],
    ["text/", "mime: expected token after slash"],
    ["text/plain/x", "mime: unexpected content after media subtype"],
    ["text/pla in", "mime: unexpected content after media subtype"],
    ["text/plain; charset", "mime: invalid media parameter"],
    ["text/plain; =x", "mime: invalid media parameter"],
    ['text/plain; a="unterminated', "mime: invalid media parameter"],
    ["text/plain; a=1; A=2", "mime: duplicate parameter name"],
    ["text/plain; a=1 b=2", "mime: invalid media parameter"],
  ];
  for (const [input, msg] of bad) {
    throws(() => parseMediaType(input), { message: msg }, input);
  }
});
