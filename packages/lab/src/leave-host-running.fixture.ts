// Test fixture run as its own process: starts a lab host and exits without stopping it, like a crashed test.
import { startLabHost } from "./lab-host.ts";

const [name, baseDir] = process.argv.slice(2);
const lab = await startLabHost({ name: name ?? "fixture", baseDir });
console.log(JSON.stringify({ initPid: lab.initPid, port: lab.ssh.port }));
