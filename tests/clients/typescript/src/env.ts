// What the cargo test (tests/client_typescript.rs) passes: the servers' URLs and
// the credentials it created.
import assert from "node:assert/strict";

/** The environment variable `name`, which the cargo test sets. */
export function env(name: string): string {
  const value = process.env[name];
  assert.ok(value, `${name} is not set: run these tests through \`cargo test --test client_typescript\``);
  return value;
}

/** A name no other run of the tests has used. */
export function unique(prefix: string): string {
  return `${prefix}-${process.pid}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** Waits for `promise`, or `ms` milliseconds, whichever ends first (no timer left behind). */
export async function within(promise: Promise<unknown>, ms: number): Promise<void> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([promise, new Promise((resolve) => (timer = setTimeout(resolve, ms)))]);
  } finally {
    clearTimeout(timer);
  }
}
