// Bulk create of 10,000 documents through the generated TypeScript client: books of
// the library API, in bulk POSTs of `BATCH` (the API's bulk limit is 1000), `CONCURRENCY`
// at once through the client's pool. Not a test: run it against a release server,
//
//   cargo build --release -p library-api
//   target/release/library-api serve --addr 127.0.0.1:18090 --db /tmp/bench-library.db &
//   (cd tests/clients/typescript && ./install.sh && node node_modules/typescript/bin/tsc -p . \
//     && node dist/tests/clients/typescript/src/bench.js http://127.0.0.1:18090)
//
// and it prints documents per second.
import { LibraryClient, type NewBook } from "../../../../generated-example/library/clients/typescript/src/index.js";

const url = process.argv[2] ?? "http://127.0.0.1:8080";
const total = Number(process.env["DOCS"] ?? 10_000);
const size = Number(process.env["BATCH"] ?? 500);
const concurrency = Number(process.env["CONCURRENCY"] ?? 4);

const client = new LibraryClient({ baseUrl: url });
const batches: NewBook[][] = [];
for (let start = 0; start < total; start += size) {
  batches.push(
    Array.from({ length: Math.min(size, total - start) }, (_, i) => ({
      title: `Bench book ${start + i}`,
      pages: 1 + ((start + i) % 900),
      tags: ["bench"],
    })),
  );
}
const pool = client.pool(concurrency);
const began = performance.now();
const results = await Promise.all(batches.map((docs) => pool.run(() => client.books.create(docs))));
const seconds = (performance.now() - began) / 1000;
const written = results.flat().filter((item) => item.ok).length;
if (written !== total) throw new Error(`${written} of ${total} written`);
console.log(
  `${total} documents in ${batches.length} bulk POSTs of ${size} (${concurrency} at once): ${seconds.toFixed(2)} s, ${Math.round(total / seconds)} documents/s`,
);
