// Unit tests for sshd_config rendering, key fingerprints and known_hosts lines.
import { describe, expect, it } from "vitest";
import { fingerprintPublicKey, renderKnownHostsLine } from "./ssh-keys.ts";
import { renderSshdConfig } from "./sshd-config.ts";

describe("renderSshdConfig", () => {
  const base = {
    port: 40022,
    hostKeyPath: "/lab/ssh/host_ed25519_key",
    pidFile: "/lab/run/sshd.pid",
    authorizedKeysDir: "/lab dir/ssh/authorized_keys",
    allowUsers: ["postgres", "pgadmin"],
    passwordUsers: ["pgadmin"],
    unprivileged: false,
  };

  it("listens on loopback only, keys from the lab dir, passwords only for the listed users", () => {
    const config = renderSshdConfig(base);
    expect(config).toContain("Port 40022\nListenAddress 127.0.0.1\n");
    expect(config).toContain('AuthorizedKeysFile "/lab dir/ssh/authorized_keys/%u"');
    expect(config).toContain("UsePAM no");
    expect(config).toContain("PasswordAuthentication no");
    expect(config.trimEnd().endsWith("Match User pgadmin\n  PasswordAuthentication yes")).toBe(
      true,
    );
    expect(config).not.toContain("StrictModes");
  });

  it("relaxes StrictModes only when sshd runs unprivileged", () => {
    expect(renderSshdConfig({ ...base, unprivileged: true, passwordUsers: [] })).toContain(
      "StrictModes no",
    );
  });
});

describe("fingerprintPublicKey", () => {
  it("matches ssh-keygen -lf", () => {
    // Both fingerprints as printed by ssh-keygen -lf (OpenSSH 9.2) for these keys.
    expect(
      fingerprintPublicKey(
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIB2VAWobHVIAM79UDtMTTchUJYvOuokOVRPTtOXq4tIL test",
      ),
    ).toBe("SHA256:+5APsdVty/Jl5rDeIwdDm3kW788qA/CSG7RSObCbMeE");
    expect(
      fingerprintPublicKey(
        "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAAAgQDg9ZxtknT1Uso9iGr5zKDpIylrjh7DRtMSOPBSXSXWmFC6Q9BxIoOlw6qXQdfA3GFt3HyoRUNZ5Y880vAu2LKCLhnz7VAoia9s13HYnJ3Um+s0T+9sAYlm++lCoSLwhTKtBy5kyrDQiGhFYG5O0mN+9p37xk3VUcJ2mn9tMggo2w== test",
      ),
    ).toBe("SHA256:hnteylzZmNf3+CVJF456XDS4UE3RzvrUDjYYxMpHfV4");
  });

  it("rejects what is not a public key line", () => {
    expect(() => fingerprintPublicKey("ssh-ed25519")).toThrow(/not an OpenSSH public key/);
  });
});

describe("renderKnownHostsLine", () => {
  it("brackets non-standard ports", () => {
    expect(renderKnownHostsLine("127.0.0.1", 40022, "ssh-ed25519 AAAAkey comment")).toBe(
      "[127.0.0.1]:40022 ssh-ed25519 AAAAkey",
    );
    expect(renderKnownHostsLine("127.0.0.1", 22, "ssh-ed25519 AAAAkey")).toBe(
      "127.0.0.1 ssh-ed25519 AAAAkey",
    );
  });
});
