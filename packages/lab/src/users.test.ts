// Unit tests for the lab host's user database copies.
import { describe, expect, it } from "vitest";
import {
  planLabUsers,
  renderGroup,
  renderHosts,
  renderPasswd,
  renderShadow,
  renderSudoers,
} from "./users.ts";

const passwd = `root:x:0:0:root:/root:/bin/bash
postgres:x:101:104:PostgreSQL administrator,,,:/var/lib/postgresql:/bin/bash
taken:x:61000:61000::/home/taken:/bin/sh
`;
const group = `root:x:0:
postgres:x:104:
taken:x:61000:
`;
const shadow = `root:*:19000:0:99999:7:::
postgres:!:20593::::::
`;

describe("lab users", () => {
  const users = planLabUsers({ passwd, group, homeDir: "/lab/home", adminShadow: "$6$salt$hash" });

  it("keeps postgres's ids, gives the others unused ids and lab homes", () => {
    expect(users.postgres).toMatchObject({
      name: "postgres",
      uid: 101,
      gid: 104,
      group: "postgres",
      home: "/lab/home/postgres",
      shadow: "*",
    });
    expect(users.admin).toMatchObject({
      name: "pgadmin",
      uid: 61001,
      gid: 61001,
      home: "/lab/home/pgadmin",
      shadow: "$6$salt$hash",
    });
    expect(users.app).toMatchObject({ name: "appuser", uid: 61002, gid: 61002 });
  });

  it("refuses a machine without a postgres user", () => {
    expect(() =>
      planLabUsers({
        passwd: "root:x:0:0::/root:/bin/sh\n",
        group,
        homeDir: "/h",
        adminShadow: "*",
      }),
    ).toThrow(/postgres does not exist/);
  });

  it("replaces postgres's entries and appends the lab users", () => {
    const out = renderPasswd(passwd, users).split("\n");
    expect(out.filter((line) => line.startsWith("postgres:"))).toEqual([
      "postgres:x:101:104:pgrescue lab postgres:/lab/home/postgres:/bin/bash",
    ]);
    expect(out).toContain("pgadmin:x:61001:61001:pgrescue lab pgadmin:/lab/home/pgadmin:/bin/bash");
    expect(out).toContain("root:x:0:0:root:/root:/bin/bash");
  });

  it("unlocks postgres for key logins with * instead of !", () => {
    const out = renderShadow(shadow, users, 20000);
    expect(out).toContain("postgres:*:20000:0:99999:7:::");
    expect(out).not.toContain("postgres:!");
    expect(out).toContain("pgadmin:$6$salt$hash:20000:0:99999:7:::");
  });

  it("adds groups for the new users only", () => {
    const out = renderGroup(group, users);
    expect(out).toContain("pgadmin:x:61001:");
    expect(out).toContain("appuser:x:61002:");
    expect(out.match(/^postgres:/gm)).toHaveLength(1);
  });

  it("lets the admin become postgres without a password, nothing more", () => {
    const out = renderSudoers("Defaults env_reset\nroot ALL=(ALL:ALL) ALL\n", users);
    expect(out).toMatch(/^pgadmin ALL=\(postgres\) NOPASSWD: ALL$/m);
    expect(out).toContain("root ALL=(ALL:ALL) ALL");
  });

  it("makes the lab hostname resolvable", () => {
    expect(renderHosts("127.0.0.1 localhost\n", "lab-x")).toBe(
      "127.0.0.1 localhost\n127.0.1.1\tlab-x\n",
    );
  });
});
