import { describe, expect, it } from "vitest";
import { isWebptError } from "../../src/shared/errors.js";
import { Obfs4HandshakeError } from "../../src/shared/codec/obfs4/handshake-errors.js";
import {
  MAX_NTOR_KDF_LENGTH,
  SESSION_KEY_MATERIAL_LENGTH,
  deriveSessionKeys,
  ntorKdf,
} from "../../src/shared/codec/obfs4/kdf.js";
import {
  NTOR_M_EXPAND,
  NTOR_PROTOID,
  NTOR_T_KEY,
  NTOR_T_MAC,
  NTOR_T_VERIFY,
  generateKeypair,
  generateRepresentableKeypair,
  keypairFromPrivateKey,
  ntorClient,
  ntorServer,
} from "../../src/shared/codec/obfs4/ntor.js";
import {
  ascii,
  detRng,
  hex,
  nodeHkdf,
  nodeHmac,
  nodeSha512,
  nodeX25519,
  unhex,
  vectorJson,
} from "./obfs4-handshake-fixtures.js";

interface NtorKat {
  nodeId: string;
  identityPrivateKey: string;
  identityPublicKey: string;
  clientPrivateKey: string;
  clientPublicKey: string;
  serverPrivateKey: string;
  serverPublicKey: string;
  keySeed: string;
  auth: string;
  keyMaterial: string;
}
const goKats = vectorJson<{ ntor: NtorKat[] }>("obfs4-x25519ell2-ntor-kats.json");

/**
 * The obfs4proxy ntor transcript recomputed with node:crypto (OpenSSL X25519, HMAC, HKDF) from its definition:
 * secret_input = EXP1 | EXP2 | B | B | X | Y | PROTOID | ID; KEY_SEED = HMAC(t_key, secret_input);
 * verify = HMAC(t_verify, secret_input); AUTH = HMAC(t_mac, verify | B | B | X | Y | PROTOID | ID | "Server");
 * key material = HKDF-SHA256(KEY_SEED, salt t_key, info m_expand, 144).
 */
function independentNtor(
  exp1: Uint8Array,
  exp2: Uint8Array,
  B: Uint8Array,
  X: Uint8Array,
  Y: Uint8Array,
  id: Uint8Array,
) {
  const suffix = Buffer.concat([B, B, X, Y, ascii("ntor-curve25519-sha256-1"), id]);
  const secretInput = Buffer.concat([exp1, exp2, suffix]);
  const keySeed = nodeHmac("ntor-curve25519-sha256-1:key_extract", secretInput);
  const verify = nodeHmac("ntor-curve25519-sha256-1:key_verify", secretInput);
  const auth = nodeHmac("ntor-curve25519-sha256-1:mac", verify, suffix, "Server");
  const keyMaterial = nodeHkdf(
    keySeed,
    "ntor-curve25519-sha256-1:key_extract",
    "ntor-curve25519-sha256-1:key_expand",
    144,
  );
  return { keySeed: hex(keySeed), auth: hex(auth), keyMaterial: hex(keyMaterial) };
}

describe("ntor strings (obfs4proxy common/ntor)", () => {
  it("uses PROTOID ntor-curve25519-sha256-1 and obfs4proxy's tweaks (note :key_verify, not the proposal's :verify)", () => {
    expect(NTOR_PROTOID).toBe("ntor-curve25519-sha256-1");
    expect(NTOR_T_MAC).toBe("ntor-curve25519-sha256-1:mac");
    expect(NTOR_T_KEY).toBe("ntor-curve25519-sha256-1:key_extract");
    expect(NTOR_T_VERIFY).toBe("ntor-curve25519-sha256-1:key_verify");
    expect(NTOR_M_EXPAND).toBe("ntor-curve25519-sha256-1:key_expand");
  });
});

describe("ntorClient / ntorServer", () => {
  it.each(goKats.ntor.map((v, i) => [i, v] as const))(
    "match obfs4proxy's ServerHandshake/ClientHandshake KAT %i",
    (_i, v) => {
      const client = ntorClient({
        clientKeypair: keypairFromPrivateKey(unhex(v.clientPrivateKey)),
        serverPublicKey: unhex(v.serverPublicKey),
        identityPublicKey: unhex(v.identityPublicKey),
        nodeId: unhex(v.nodeId),
      });
      const server = ntorServer({
        clientPublicKey: unhex(v.clientPublicKey),
        serverKeypair: keypairFromPrivateKey(unhex(v.serverPrivateKey)),
        identityKeypair: keypairFromPrivateKey(unhex(v.identityPrivateKey)),
        nodeId: unhex(v.nodeId),
      });
      for (const r of [client, server]) {
        expect(hex(r.keySeed)).toBe(v.keySeed);
        expect(hex(r.auth)).toBe(v.auth);
        expect(hex(deriveSessionKeys(r.keySeed))).toBe(v.keyMaterial);
      }
      expect(hex(keypairFromPrivateKey(unhex(v.identityPrivateKey)).publicKey)).toBe(v.identityPublicKey);
    },
  );

  it("agree with an independent node:crypto computation of the transcript, dirty ephemeral keys included", () => {
    const rng = detRng("ntor-independent");
    for (let i = 0; i < 6; i++) {
      const identity = generateKeypair(rng);
      const client = generateRepresentableKeypair(rng);
      const server = generateRepresentableKeypair(rng);
      const nodeId = rng(20);
      const c = ntorClient({
        clientKeypair: client,
        serverPublicKey: server.publicKey,
        identityPublicKey: identity.publicKey,
        nodeId,
      });
      const s = ntorServer({
        clientPublicKey: client.publicKey,
        serverKeypair: server,
        identityKeypair: identity,
        nodeId,
      });
      const want = independentNtor(
        nodeX25519(client.privateKey, server.publicKey)!,
        nodeX25519(client.privateKey, identity.publicKey)!,
        identity.publicKey,
        client.publicKey,
        server.publicKey,
        nodeId,
      );
      // The server's view (EXP(X,y) | EXP(X,b)) must produce the same input.
      expect(hex(nodeX25519(server.privateKey, client.publicKey)!)).toBe(
        hex(nodeX25519(client.privateKey, server.publicKey)!),
      );
      for (const r of [c, s]) {
        expect(hex(r.keySeed)).toBe(want.keySeed);
        expect(hex(r.auth)).toBe(want.auth);
        expect(hex(deriveSessionKeys(r.keySeed))).toBe(want.keyMaterial);
      }
    }
  });

  // The u-coordinates of low-order points: every one makes an EXP() zero (proposal 216 "point at infinity").
  const lowOrder = [
    "0000000000000000000000000000000000000000000000000000000000000000",
    "0100000000000000000000000000000000000000000000000000000000000000",
    "ecffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f",
    "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800",
    "5f9c95bca3508c24b1d0b1559c83ef5b04445cc4581c8e86d8224eddd09f1157",
  ];

  it.each(lowOrder)("fail with ERR_OBFS4_NTOR_FAILED for the low-order client key %s", (u) => {
    const rng = detRng(`low-order-${u}`);
    const call = (): unknown =>
      ntorServer({
        clientPublicKey: unhex(u),
        serverKeypair: generateKeypair(rng),
        identityKeypair: generateKeypair(rng),
        nodeId: rng(20),
      });
    expect(call).toThrow(Obfs4HandshakeError);
    expect(call).toThrow(expect.objectContaining({ code: "ERR_OBFS4_NTOR_FAILED" }));
    expect(nodeX25519(rng(32), unhex(u))).toBeNull(); // OpenSSL agrees the result would be zero
  });

  it("fail with ERR_OBFS4_NTOR_FAILED when the server's ephemeral key is low-order", () => {
    const rng = detRng("low-order-client");
    let error: unknown;
    try {
      ntorClient({
        clientKeypair: generateKeypair(rng),
        serverPublicKey: unhex(lowOrder[0]!),
        identityPublicKey: generateKeypair(rng).publicKey,
        nodeId: rng(20),
      });
    } catch (e) {
      error = e;
    }
    expect(isWebptError(error)).toBe(true);
    expect((error as Obfs4HandshakeError).code).toBe("ERR_OBFS4_NTOR_FAILED");
  });

  it("reject wrong key and node ID lengths as programmer errors (RangeError)", () => {
    const kp = generateKeypair(detRng("lengths"));
    const ok = {
      clientKeypair: kp,
      serverPublicKey: kp.publicKey,
      identityPublicKey: kp.publicKey,
      nodeId: new Uint8Array(20),
    };
    expect(() => ntorClient({ ...ok, nodeId: new Uint8Array(19) })).toThrow(RangeError);
    expect(() => ntorClient({ ...ok, serverPublicKey: new Uint8Array(31) })).toThrow(RangeError);
    expect(() => keypairFromPrivateKey(new Uint8Array(33))).toThrow(RangeError);
  });
});

describe("generateKeypair (identity keys, ntor.NewKeypair(false))", () => {
  it("private key = SHA-512(32 random bytes)[0:32], unclamped; public key = clean X25519", () => {
    const kp = generateKeypair(detRng("identity-keygen"));
    const digest = nodeSha512(detRng("identity-keygen")(32));
    expect(hex(kp.privateKey)).toBe(hex(digest.subarray(0, 32)));
    const basepoint = unhex("0900000000000000000000000000000000000000000000000000000000000000");
    expect(hex(kp.publicKey)).toBe(hex(nodeX25519(kp.privateKey, basepoint)!));
  });
});

describe("ntorKdf / deriveSessionKeys", () => {
  // tor proposal 216 "Test vectors for HKDF-SHA256" (m_expand and t_key as above, 100 bytes of output).
  it.each([
    [
      "",
      "d3490ed48b12a48f9547861583573fe3f19aafe3f81dc7fc75eeed96d741b3290f941576c1f9f0b2d463d1ec7ab2c6bf71cdd7f826c6298c00dbfe6711635d7005f0269493edf6046cc7e7dcf6abe0d20c77cf363e8ffe358927817a3d3e73712cee28d8",
    ],
    [
      "Tor",
      "5521492a85139a8d9107a2d5c0d9c91610d0f95989975ebee6c02a4f8d622a6cfdf9b7c7edd3832e2760ded1eac309b76f8d66c4a3c4d6225429b3a016e3c3d45911152fc87bc2de9630c3961be9fdb9f93197ea8e5977180801926d3321fa21513e59ac",
    ],
    [
      "AN ALARMING ITEM TO FIND ON YOUR CREDIT-RATING STATEMENT",
      "a2aa9b50da7e481d30463adb8f233ff06e9571a0ca6ab6df0fb206fa34e5bc78d063fc291501beec53b36e5a0e434561200c5f8bd13e0f88b3459600b4dc21d69363e2895321c06184879d94b18f078411be70b767c7fc40679a9440a0c95ea83a23efbf",
    ],
  ])("proposal 216 vector for input %j", (input, output) => {
    expect(hex(ntorKdf(ascii(input), 100))).toBe(output);
  });

  it("deriveSessionKeys gives 144 bytes whose prefixes agree with shorter outputs", () => {
    const seed = detRng("kdf")(32);
    const okm = deriveSessionKeys(seed);
    expect(okm.length).toBe(SESSION_KEY_MATERIAL_LENGTH);
    expect(SESSION_KEY_MATERIAL_LENGTH).toBe(144);
    expect(hex(ntorKdf(seed, 72))).toBe(hex(okm.subarray(0, 72)));
  });

  it("rejects bad lengths", () => {
    expect(() => deriveSessionKeys(new Uint8Array(31))).toThrow(RangeError);
    expect(() => ntorKdf(new Uint8Array(1), MAX_NTOR_KDF_LENGTH + 1)).toThrow(RangeError);
    expect(() => ntorKdf(new Uint8Array(1), -1)).toThrow(RangeError);
    expect(ntorKdf(new Uint8Array(1), MAX_NTOR_KDF_LENGTH).length).toBe(8160);
  });
});
