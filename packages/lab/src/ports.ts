// Free TCP ports on 127.0.0.1: lab hosts share the machine's network namespace, so ports must not collide.
import { createServer } from "node:net";

const handedOut = new Set<number>();

function listenOnce(port: number): Promise<number | null> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", () => {
      resolve(null);
    });
    server.listen(port, "127.0.0.1", () => {
      const address = server.address();
      const bound = address !== null && typeof address === "object" ? address.port : null;
      server.close(() => {
        resolve(bound);
      });
    });
  });
}

/** A port nothing listens on right now, never the same one twice in this process. */
export async function findFreePort(): Promise<number> {
  for (let attempt = 0; attempt < 100; attempt += 1) {
    const port = await listenOnce(0);
    if (port !== null && !handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
  throw new Error("no free TCP port on 127.0.0.1");
}

export async function isPortFree(port: number): Promise<boolean> {
  return (await listenOnce(port)) === port;
}
