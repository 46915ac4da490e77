// Unit tests for the pure parts of lab host set-up: names, the init script and instance configuration.
import { describe, expect, it } from "vitest";
import { renderInstanceConfig } from "./instances.ts";
import { renderInitScript } from "./lab-boot.ts";
import { validateHostName } from "./lab-host.ts";

describe("validateHostName", () => {
  it("accepts short lowercase names and refuses paths and oddities", () => {
    expect(() => {
      validateHostName("remote-exec");
    }).not.toThrow();
    for (const bad of ["", "../x", "A", "-x", "a b", "x".repeat(41)]) {
      expect(() => {
        validateHostName(bad);
      }).toThrow(/invalid lab host name/);
    }
  });
});

describe("renderInitScript", () => {
  it("mounts private /dev/shm, /tmp, /run, /var/log, binds the user database in root mode, then idles", () => {
    const script = renderInitScript({ dir: "/work/.lab/x", hostname: "lab-x", mode: "root" });
    expect(script).toContain("mount -t tmpfs -o mode=1777,nosuid,nodev,size=256m lab-shm /dev/shm");
    expect(script).toContain(
      'for file in passwd shadow group sudoers hosts; do mount --bind "$lab_dir/etc/$file" "/etc/$file"; done',
    );
    expect(script.trimEnd().endsWith("exec -a pgrescue-lab-init sleep infinity")).toBe(true);
  });

  it("without root binds only passwd, shadow and hosts, and keeps PIDs few and above 300", () => {
    const script = renderInitScript({ dir: "/var/tmp/x", hostname: "lab-x", mode: "userns" });
    expect(script).toContain("for file in passwd shadow hosts; do");
    expect(script).not.toContain("sudoers");
    expect(script).toContain("echo 8192 > /proc/sys/kernel/pid_max");
    expect(script).toContain("echo 1000 > /proc/sys/kernel/ns_last_pid");
  });
});

describe("renderInstanceConfig", () => {
  it("sets port, socket dir, loopback, no logging collector, small shared_buffers", () => {
    const config = renderInstanceConfig({ port: 5544, socketDir: "/lab/it's/socket" });
    expect(config).toContain("port = 5544\n");
    expect(config).toContain("unix_socket_directories = '/lab/it''s/socket'\n");
    expect(config).toContain("listen_addresses = '127.0.0.1'\n");
    expect(config).toContain("logging_collector = off\n");
    expect(config).toContain("shared_buffers = 16MB\n");
  });
});
