// The `iacperf` settings section is shared: the server reads its keys through
// `workspace/configuration`, the extension reads the ones below itself. They are removed
// from what the server gets, so the server sees exactly the keys it validates
// (tests/editors/test_vscode_settings.py checks package.json against both lists).
import type { ConfigurationParams } from "vscode-languageclient/node";

export const SECTION = "iacperf";

/** First segments of the settings only the extension uses (server.path, trace.server, ...). */
export const CLIENT_ONLY_KEYS: readonly string[] = ["server", "interpreter", "trace"];

/** The server's view of one `workspace/configuration` answer. */
export function forServer(params: ConfigurationParams, answer: unknown[]): unknown[] {
  return answer.map((value, index) =>
    params.items[index]?.section === SECTION && isObject(value) ? withoutClientKeys(value) : value,
  );
}

function withoutClientKeys(value: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(value).filter(([key]) => !CLIENT_ONLY_KEYS.includes(key)));
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
