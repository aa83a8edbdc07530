import { describe, expect, it } from "vitest";
import { toHex } from "../../src/shared/bytes/bytes.js";
import { decodeBase64, encodeBase64 } from "../../src/shared/settings/base64.js";
import { checkHttpLikeUrl, checkIceUrl } from "../../src/shared/settings/url.js";

const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

describe("base64 (RFC 4648 §10 test vectors)", () => {
  const vectors: [string, string][] = [
    ["", ""],
    ["f", "Zg=="],
    ["fo", "Zm8="],
    ["foo", "Zm9v"],
    ["foob", "Zm9vYg=="],
    ["fooba", "Zm9vYmE="],
    ["foobar", "Zm9vYmFy"],
  ];
  it.each(vectors)("%j <-> %s", (plain, b64) => {
    expect(encodeBase64(utf8(plain), "std", true)).toBe(b64);
    expect(encodeBase64(utf8(plain), "std", false)).toBe(b64.replace(/=+$/, ""));
    const strict = { alphabet: "std", padding: "required", canonical: true } as const;
    expect(decodeBase64(b64, strict)).toEqual(utf8(plain));
    const unpadded = { alphabet: "std", padding: "forbidden", canonical: true } as const;
    expect(decodeBase64(b64.replace(/=+$/, ""), unpadded)).toEqual(utf8(plain));
  });

  it("uses -_ in the url alphabet and +/ in the standard one", () => {
    const bytes = Uint8Array.of(0xfb, 0xff, 0xbf);
    expect(encodeBase64(bytes, "std", false)).toBe("+/+/");
    expect(encodeBase64(bytes, "url", false)).toBe("-_-_");
    expect(decodeBase64("-_-_", { alphabet: "url", padding: "forbidden", canonical: true })).toEqual(bytes);
    expect(decodeBase64("+/+/", { alphabet: "url", padding: "forbidden", canonical: true })).toBeNull();
    expect(decodeBase64("-_-_", { alphabet: "std", padding: "forbidden", canonical: true })).toBeNull();
  });

  it.each([
    ["Zg", "forbidden", true, "66"],
    ["Zg==", "forbidden", false, null], // padding where forbidden
    ["Zg=", "optional", false, null], // wrong amount of padding
    ["Zg===", "optional", false, null],
    ["Zg", "required", false, null],
    ["Z", "optional", false, null], // 6 bits cannot end a byte string
    ["Zh", "optional", true, null], // non-zero unused bits, canonical
    ["Zh", "optional", false, "66"], // ... tolerated like Go's non-strict decoder
    ["Zm9v!", "optional", false, null],
    ["Zm\u00e9v", "optional", false, null],
    ["=", "optional", false, null],
  ] as const)("decode %j with padding %s, canonical %s -> %s", (text, padding, canonical, hex) => {
    const got = decodeBase64(text, { alphabet: "std", padding, canonical });
    if (hex === null) expect(got).toBeNull();
    else expect(got === null ? null : toHex(got)).toBe(hex);
  });
});

// The IP, port and host-name tables that were here are in net-ip.test.ts and
// net-host-port.test.ts (one implementation now).

describe("checkHttpLikeUrl", () => {
  const ws = ["ws", "wss"] as const;
  it.each([
    ["wss://example.com/secret", "wss://example.com/secret"],
    ["WSS://Example.COM:443/Secret", "wss://example.com/Secret"], // scheme/host case folded, default port dropped
    ["ws://example.com:80/s", "ws://example.com/s"],
    ["wss://example.com:8443/a/b?c=d&e", "wss://example.com:8443/a/b?c=d&e"],
    ["wss://[2001:DB8::1]:443/p", "wss://[2001:db8::1]/p"],
    ["ws://192.0.2.1:8080/p%20q", "ws://192.0.2.1:8080/p%20q"],
    ["wss://h.example/a:b@c;d=e,f", "wss://h.example/a:b@c;d=e,f"],
    ["wss://h.example/p?q/?r", "wss://h.example/p?q/?r"],
  ])("accepts %s", (text, want) => {
    expect(checkHttpLikeUrl(text, ws)).toEqual({ ok: true, url: want });
  });

  it.each([
    ["example.com/secret", /starting with ws:\/\//],
    ["https://example.com/secret", /must use ws: or wss:/],
    ["wss://user:pw@example.com/secret", /credentials/],
    ["wss://example.com/secret#frag", /fragment/],
    ["wss://example.com", /secret path/],
    ["wss://example.com/", /secret path/],
    ["wss://example.com?x", /secret path/],
    ["wss://example.com:0/s", /bad port/],
    ["wss://example.com:65536/s", /bad port/],
    ["wss://example.com:/s", /bad port/],
    ["wss:///s", /bad host/],
    ["wss://exa mple.com/s", /bad host/],
    ["wss://[::1/s", /unterminated/],
    ["wss://[::1]x/s", /junk/],
    ["wss://[zz::1]/s", /bad IPv6/],
    ["wss://1.2.3/s", /bad host/],
    ["wss://example.com/a b", /path/],
    ["wss://example.com/%zz", /path/],
    ["wss://example.com/ü", /path/],
    ["wss://example.com/p?a b", /query/],
    ["wss://example.com/p\n", /path/],
  ])("rejects %j (%s)", (text, why) => {
    const r = checkHttpLikeUrl(text, ws);
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.error).toMatch(why);
  });
});

describe("checkIceUrl (RFC 7064, RFC 7065)", () => {
  it.each([
    ["stun:stun.example.org", "stun:stun.example.org"],
    ["STUN:Stun.Example.org:3478", "stun:stun.example.org:3478"],
    ["turn:192.0.2.1:3478?transport=udp", "turn:192.0.2.1:3478?transport=udp"],
    ["turns:turn.example.org?Transport=TCP", "turns:turn.example.org?transport=tcp"],
    ["stun:[2001:db8::1]:19302", "stun:[2001:db8::1]:19302"],
  ])("accepts %s", (text, want) => {
    expect(checkIceUrl(text)).toEqual({ ok: true, url: want });
  });

  it.each([
    ["stun.example.org", /stun:, turn: or turns:/],
    ["stuns:stun.example.org", /not stuns:/],
    ["https://stun.example.org", /not https:/],
    ["stun://stun.example.org", /without "\/\/"/],
    ["stun:", /no host/],
    ["stun:h.example?transport=udp", /no \?query/],
    ["turn:h.example?transport=sctp", /transport=udp or/],
    ["turn:h.example:99999", /bad port/],
    ["turn:u@h.example", /credentials/],
    ["stun:h.example/path", /bad host/],
  ])("rejects %j (%s)", (text, why) => {
    const r = checkIceUrl(text);
    expect(r.ok).toBe(false);
    expect(r.ok ? "" : r.error).toMatch(why);
  });
});
