// A TCP proxy in front of a server that can cut every connection it carries, as a
// server restart would: the cargo test's `support::proxy::DropProxy` when it passes
// one (`LIBRARY_PROXY_URL`, `LIBRARY_PROXY_CONTROL`), else the same thing here.
import net from "node:net";

export interface Proxy {
  /** Point a client here. */
  url: string;
  /** Cuts every connection open now. */
  cut(): Promise<void>;
  /** How many times connections were cut. */
  cuts(): number;
  close(): Promise<void>;
}

export async function startProxy(target: string): Promise<Proxy> {
  let cuts = 0;
  const external = process.env["LIBRARY_PROXY_URL"];
  const control = process.env["LIBRARY_PROXY_CONTROL"];
  if (external && control && target === process.env["LIBRARY_URL"]) {
    return {
      url: external,
      async cut() {
        const response = await fetch(control, { method: "POST" });
        await response.arrayBuffer();
        if (!response.ok) throw new Error(`the proxy's control answered ${response.status}`);
        cuts++;
      },
      cuts: () => cuts,
      close: async () => undefined,
    };
  }
  const { hostname, port } = new URL(target);
  const open = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(port), hostname);
    open.add(client);
    open.add(upstream);
    client.pipe(upstream);
    upstream.pipe(client);
    const done = () => {
      client.destroy();
      upstream.destroy();
      open.delete(client);
      open.delete(upstream);
    };
    client.on("error", done).on("close", done);
    upstream.on("error", done).on("close", done);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    async cut() {
      for (const socket of open) socket.destroy();
      open.clear();
      cuts++;
    },
    cuts: () => cuts,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of open) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
