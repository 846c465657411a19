/**
 * stave command-line entry point (placeholder until the CLI lands).
 * @module
 */
if (import.meta.main) {
  console.error("stave: not built yet");
  Deno.exit(1);
}
