// Each generated README's example runs: its code block, with the package's import
// pointed at the compiled client, run by node against the example's server.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtemp, readFile, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";
import { fileURLToPath, pathToFileURL } from "node:url";
import { promisify } from "node:util";

import { env } from "./env.js";

// The compiled tree (`dist/`), laid out like the repository.
const root = fileURLToPath(new URL("../../../../", import.meta.url));

async function runExample(example: string, url: string): Promise<string> {
  const readme = await readFile(join(root, "../../../../generated-example", example, "clients/typescript/README.md"), "utf8");
  const block = /```ts\n([\s\S]*?)```/.exec(readme)?.[1];
  assert.ok(block, `${example}'s README has an example`);
  const compiled = pathToFileURL(join(root, "generated-example", example, "clients/typescript/src/index.js"));
  const code = block.replace(/from "[^"]+";/, `from ${JSON.stringify(compiled.href)};`);
  const dir = await mkdtemp(join(tmpdir(), "apigen-readme-"));
  const file = join(dir, "example.mjs");
  await writeFile(file, code);
  const { stdout } = await promisify(execFile)(process.execPath, [file], { env: { ...process.env, API_URL: url } });
  return stdout;
}

test("the library README's example runs", async () => {
  const out = await runExample("library", env("LIBRARY_URL"));
  assert.match(out, /^\d+ \d+\n/);
});

test("the tables README's example runs", async () => {
  const out = await runExample("tables", env("TABLES_URL"));
  assert.match(out, /^\d+ \d+\n/);
});
