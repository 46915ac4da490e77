import { describe, expect, it } from "vitest";
import {
  describeHostKey,
  fingerprintKeyBlob,
  judgeHostKey,
  listPreferredHostKeyAlgorithms,
  readKeyAlgorithm,
} from "./host-key.ts";

// Public host keys and the fingerprints `ssh-keygen -lf` printed for them (OpenSSH 9.2).
const ed25519 = "AAAAC3NzaC1lZDI1NTE5AAAAIIixpyQlhrJLoX0KRMbFww8ZxHs1+PrlUI+FST9gAHvc";
const ed25519Fingerprint = "SHA256:KhXE4YWnQQlwNTLnx96OFmczMuGN8gY2EVvPvUg+nPU";
const rsa =
  "AAAAB3NzaC1yc2EAAAADAQABAAABAQDS0JofFwLHeRaW7MSKOV4bLMLdADbKLnO3Aqcwp2vRAPiNAdWJKkmLkAgalWm+Po+mB825AOBW5K0iWzSjSu/ofcMiEo3XEOFXx7lBc5GKOu8GsOymn2neKVcOve8bn4B7W18ZGbxoBAAtmTuG+FbCBjS1LeZT8ZBKP8O7LJwHcDsX2g7TPpR/K5BDgpOvWMJrA7535rLs3PoDzpkzw1NV4qIQnm/OHU+a9IdWv1K8GWUN+YjYKGFDFuUKHjux6PBPg1sHqVmy1PYUV0qjBcTpjtckLekxl9wPvdL7hQEzf7gKRyoR1pwWDj7xLrUF2ceWTkdtlzOnj95LlEkttNgR";
const rsaFingerprint = "SHA256:FAfq6OY7UiTmwoRblJj0IWDH9E2Ieonl4By/xtpOhus";

describe("fingerprintKeyBlob", () => {
  it("matches ssh-keygen -lf for ed25519 and RSA keys", () => {
    expect(fingerprintKeyBlob(Buffer.from(ed25519, "base64"))).toBe(ed25519Fingerprint);
    expect(fingerprintKeyBlob(Buffer.from(rsa, "base64"))).toBe(rsaFingerprint);
  });

  it("has no base64 padding", () => {
    expect(fingerprintKeyBlob(Buffer.from("x"))).not.toMatch(/=$/);
  });
});

describe("describeHostKey", () => {
  it("reads the key type from the blob and keeps the raw key", () => {
    expect(describeHostKey(Buffer.from(rsa, "base64"))).toEqual({
      algorithm: "ssh-rsa",
      fingerprint: rsaFingerprint,
      base64: rsa,
    });
  });

  it("says unknown for a blob that is not an SSH key", () => {
    expect(readKeyAlgorithm(Buffer.from([0, 0]))).toBe("unknown");
    expect(readKeyAlgorithm(Buffer.from([0, 0, 0, 200, 1]))).toBe("unknown");
  });
});

describe("judgeHostKey", () => {
  const presented = describeHostKey(Buffer.from(ed25519, "base64"));

  it("accepts a pinned key, also among several", () => {
    expect(judgeHostKey({ pinned: { fingerprint: ed25519Fingerprint } }, presented)).toEqual({
      kind: "pinned",
    });
    expect(
      judgeHostKey(
        { pinned: [{ fingerprint: rsaFingerprint }, { fingerprint: ed25519Fingerprint }] },
        presented,
      ),
    ).toEqual({ kind: "pinned" });
  });

  it("refuses another key even when acceptNew is set, naming what was expected", () => {
    expect(
      judgeHostKey({ pinned: { fingerprint: rsaFingerprint }, acceptNew: true }, presented),
    ).toEqual({ kind: "mismatch", expected: [rsaFingerprint] });
  });

  it("accepts an unknown key only with acceptNew", () => {
    expect(judgeHostKey({}, presented)).toEqual({ kind: "unknown" });
    expect(judgeHostKey({ acceptNew: false }, presented)).toEqual({ kind: "unknown" });
    expect(judgeHostKey({ acceptNew: true }, presented)).toEqual({ kind: "accepted-new" });
  });
});

describe("listPreferredHostKeyAlgorithms", () => {
  it("asks first for the pinned key types", () => {
    expect(
      listPreferredHostKeyAlgorithms({
        pinned: [{ fingerprint: rsaFingerprint, algorithm: "ssh-rsa" }],
      }),
    ).toEqual(["rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"]);
    expect(listPreferredHostKeyAlgorithms({ pinned: { fingerprint: ed25519Fingerprint } })).toEqual(
      [],
    );
  });
});
