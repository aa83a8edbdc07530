/**
 * WebRTC DataChannel throughput on loopback, engine against engine: both
 * peers in this process, host candidates on 127.0.0.1, one reliable ordered
 * channel, `total` bytes one way in `message`-byte messages with
 * bufferedAmount backpressure. Reports the median of `rounds` runs (MB/s,
 * 1 MB = 10^6 bytes) per case, cases interleaved so noise hits all alike.
 *
 *   node --import tsx bench/webrtc-throughput.ts [rounds] [MiB]
 *   WEBPT_NDC=/tmp/ndc/node_modules/node-datachannel/dist/esm/lib/index.mjs  (node-datachannel outside node_modules)
 *   WEBPT_RTC_CASES=werift>werift,ndc>ndc  (subset; default: every pair of available engines, raw and duplex)
 */
import { once } from "node:events";
import { createRtcEngine, type RtcEngine, type RtcEngineName } from "../src/server/carriers/webrtc/engine.js";
import { dataChannelDuplex } from "../src/server/carriers/webrtc/duplex.js";
import { connectLoopbackPair, type LoopbackPair } from "../src/server/carriers/webrtc/gathering.js";
import { median } from "./harness.js";

const rounds = Number(process.argv[2] ?? 3);
const totalBytes = Number(process.argv[3] ?? 64) * 1024 * 1024;
const HIGH = 1024 * 1024;
const LOW = 256 * 1024;

/** Sends `total` bytes as `size`-byte messages, raw on the channel; resolves MB/s when all arrived. */
async function rawRun(pair: LoopbackPair, size: number, total: number): Promise<number> {
  const msg = Buffer.alloc(size, 0x5a);
  let got = 0;
  let sent = 0;
  const t0 = performance.now();
  const done = new Promise<void>((resolve) => {
    pair.remote.onmessage = (ev) => {
      got += (ev.data as Uint8Array).byteLength;
      if (got >= total) resolve();
    };
  });
  const ch = pair.local;
  ch.bufferedAmountLowThreshold = LOW;
  const pump = (): void => {
    while (sent < total && ch.bufferedAmount <= HIGH) {
      ch.send(msg);
      sent += size;
    }
  };
  ch.onbufferedamountlow = pump;
  pump();
  await done;
  return total / 1e6 / ((performance.now() - t0) / 1000);
}

/** The same through dataChannelDuplex on both ends (what Obfs4Stream sees). */
async function duplexRun(pair: LoopbackPair, size: number, total: number): Promise<number> {
  const tx = dataChannelDuplex(pair.local, { maxMessageBytes: size });
  const rx = dataChannelDuplex(pair.remote);
  const chunk = Buffer.alloc(size, 0x5a);
  let got = 0;
  const t0 = performance.now();
  const done = new Promise<void>((resolve) => {
    rx.on("data", (b: Buffer) => {
      got += b.length;
      if (got >= total) resolve();
    });
  });
  for (let sent = 0; sent < total; sent += size) {
    if (!tx.write(chunk)) await once(tx, "drain");
  }
  await done;
  const mbps = total / 1e6 / ((performance.now() - t0) / 1000);
  tx.destroy();
  rx.destroy();
  return mbps;
}

interface Case {
  readonly name: string;
  readonly from: RtcEngineName;
  readonly to: RtcEngineName;
  readonly size: number;
  readonly mode: "raw" | "duplex";
}

const short: Record<RtcEngineName, string> = { werift: "werift", "node-datachannel": "ndc" };

async function main(): Promise<void> {
  const engines = new Map<RtcEngineName, RtcEngine>([["werift", await createRtcEngine("werift")]]);
  try {
    const spec = process.env["WEBPT_NDC"];
    engines.set(
      "node-datachannel",
      await createRtcEngine("node-datachannel", spec ? { nodeDatachannelSpecifier: spec } : {}),
    );
  } catch (err) {
    console.error(`node-datachannel unavailable (${(err as Error).message}); set WEBPT_NDC or install it`);
  }
  const names = [...engines.keys()];
  let cases: Case[] = [];
  for (const from of names)
    for (const to of names)
      for (const size of [16 * 1024, 64 * 1024])
        for (const mode of ["raw", "duplex"] as const)
          cases.push({ name: `${short[from]}>${short[to]} ${mode} ${size / 1024}K`, from, to, size, mode });
  const filter = process.env["WEBPT_RTC_CASES"]?.split(",");
  if (filter) cases = cases.filter((c) => filter.some((f) => c.name.startsWith(f)));
  const samples = new Map<string, number[]>(cases.map((c) => [c.name, []]));
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      const pair = await connectLoopbackPair(engines.get(c.from)!, engines.get(c.to)!);
      try {
        const mbps = await (c.mode === "raw" ? rawRun : duplexRun)(pair, c.size, totalBytes);
        samples.get(c.name)!.push(mbps);
        console.error(`  round ${r + 1} ${c.name}: ${mbps.toFixed(1)} MB/s`);
      } finally {
        await pair.close();
      }
    }
  }
  console.log(`\nWebRTC DataChannel, loopback, ${totalBytes / 1048576} MiB one way, median of ${rounds} (MB/s)`);
  for (const c of cases) {
    const s = samples.get(c.name)!;
    console.log(
      `${c.name.padEnd(28)} ${median(s).toFixed(1).padStart(7)}   [${s.map((x) => x.toFixed(1)).join(", ")}]`,
    );
  }
  for (const e of engines.values()) e.close();
}

await main();
process.exit(0);
