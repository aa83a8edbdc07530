import { describe, expect, it } from "vitest";
import { fromHex, toHex } from "../../src/shared/bytes/bytes.js";
import { encodeAddress, toSocksAddress } from "../../src/shared/codec/socks/address.js";

// The IP literal tables that were here are in net-ip.test.ts (one parser now).

describe("toSocksAddress", () => {
  it.each([
    ["1.2.3.4", { type: "ipv4", host: "1.2.3.4" }],
    ["::1", { type: "ipv6", host: "::1" }],
    ["[2001:DB8::1]", { type: "ipv6", host: "2001:db8::1" }],
    ["example.com", { type: "domain", host: "example.com" }],
    ["bücher.example", { type: "domain", host: "bücher.example" }],
    ["a".repeat(255), { type: "domain", host: "a".repeat(255) }],
  ])("classifies %s", (host, want) => {
    expect(toSocksAddress({ host, port: 443 })).toEqual({ ...want, port: 443 });
  });

  it.each([
    ["", RangeError],
    ["a".repeat(256), RangeError],
    ["ü".repeat(128), RangeError], // 256 UTF-8 bytes
    ["1.2.3.256", TypeError],
    ["01.2.3.4", TypeError],
    ["1:2", TypeError],
    ["[::1", TypeError],
    ["fe80::1%eth0", TypeError],
    ["a\0b", TypeError],
  ])("refuses host %j", (host, type) => {
    expect(() => toSocksAddress({ host, port: 1 })).toThrow(type);
  });

  it.each([-1, 65536, 1.5, Number.NaN])("refuses port %d", (port) => {
    expect(() => toSocksAddress({ host: "1.2.3.4", port })).toThrow(RangeError);
  });
});

describe("encodeAddress (RFC 1928 §5)", () => {
  it.each([
    // ATYP=01 | 127.0.0.1 | port 9050
    [{ type: "ipv4", host: "127.0.0.1", port: 9050 }, "01 7f000001 235a"],
    // ATYP=04 | 16 bytes | port 9050
    [{ type: "ipv6", host: "102:304:506:708:90a:b0c:d0e:f10", port: 9050 }, "04 0102030405060708090a0b0c0d0e0f10 235a"],
    // ATYP=03 | LEN=11 | "example.com" | port 9050
    [{ type: "domain", host: "example.com", port: 9050 }, "03 0b 6578616d706c652e636f6d 235a"],
    // port 0 and 65535 are both expressible
    [{ type: "ipv4", host: "0.0.0.0", port: 0 }, "01 00000000 0000"],
    [{ type: "ipv4", host: "0.0.0.0", port: 65535 }, "01 00000000 ffff"],
  ] as const)("%j", (addr, hex) => {
    expect(toHex(encodeAddress(addr))).toBe(toHex(fromHex(hex)));
  });

  it("refuses a domain that does not fit the length byte, and a non-literal IP", () => {
    expect(() => encodeAddress({ type: "domain", host: "", port: 1 })).toThrow(RangeError);
    expect(() => encodeAddress({ type: "domain", host: "x".repeat(256), port: 1 })).toThrow(RangeError);
    expect(() => encodeAddress({ type: "ipv4", host: "example.com", port: 1 })).toThrow(TypeError);
    expect(() => encodeAddress({ type: "ipv6", host: "1.2.3.4", port: 1 })).toThrow(TypeError);
  });
});
