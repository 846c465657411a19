/**
 * The JSON-RPC transports of the daemon: the transport-free core
 * ({@linkcode RpcServer}, go-ethereum's message rules), the IPC endpoint
 * (Unix socket, geth's stream framing), the HTTP endpoint (clef's handler
 * stack) and systemd readiness notification.
 *
 * @module
 */
export * from "./codec.ts";
export * from "./dispatch.ts";
export * from "./unix_server.ts";
export * from "./http_server.ts";
export * from "./notify.ts";
