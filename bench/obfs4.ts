/**
 * obfs4 handshakes per second per core, in the bench process itself: the
 * server's side (verify a request, answer with its own ephemeral Elligator
 * key) and a client's ephemeral keypair alone. Throughput, obfs4 over TCP
 * against obfs4proxy included, is in throughput.ts.
 */
import type { BenchGroup } from "./harness.js";
import {
  Obfs4ClientSession,
  Obfs4ServerSession,
  ReplayFilter,
  generateServerState,
  keypairFromPrivateKey,
  generateRepresentableKeypair,
} from "../src/shared/codec/obfs4/index.js";
import { nodeCryptoBackend } from "../src/server/crypto/backend.js";

/** Server-side handshakes per second on one core (client requests made beforehand). */
export function obfs4HandshakeGroup(): BenchGroup {
  const state = generateServerState();
  const identityKeypair = keypairFromPrivateKey(state.privateKey);
  const backend = nodeCryptoBackend();
  const N = Number(process.env.BENCH_HANDSHAKES ?? 200);
  const serverOnce = (): number => {
    const requests = Array.from(
      { length: N },
      () => new Obfs4ClientSession({ nodeId: state.nodeId, identityPublicKey: state.publicKey, iatMode: 0 }).request,
    );
    const replayFilter = new ReplayFilter();
    const t0 = performance.now();
    for (const req of requests) {
      const s = new Obfs4ServerSession({
        nodeId: state.nodeId,
        identityKeypair,
        replayFilter,
        drbgSeed: state.drbgSeed,
        iatMode: 0,
        backend,
      });
      if (s.receive(req).send === undefined) throw new Error("handshake failed in bench");
    }
    return N / ((performance.now() - t0) / 1000);
  };
  const clientOnce = (): number => {
    const t0 = performance.now();
    for (let i = 0; i < N; i++) generateRepresentableKeypair();
    return N / ((performance.now() - t0) / 1000);
  };
  return {
    title: `obfs4 handshakes per second on one core (${N} per sample)`,
    unit: "handshakes/s",
    anchor: "server: verify request + respond (incl. its ephemeral Elligator key)",
    cases: [
      { name: "server: verify request + respond (incl. its ephemeral Elligator key)", run: async () => serverOnce() },
      { name: "client: ephemeral Elligator keypair alone", run: async () => clientOnce() },
    ],
  };
}
