// The README's Transport API example, run by test/integration/examples.test.ts.
import { transports } from "webpt/api";

const ws = transports.websocket;
// Server: a fresh identity, a server that echoes, and the bridge line clients need.
const { server: identity } = ws.generateConfiguration();
const srv = await ws.createServer(identity, "127.0.0.1:0", undefined, {}, (stream) => stream.pipe(stream));
const bridgeLine = srv.bridgeLine();

// Client: a connector from the bridge line; connections are net.Socket-like Duplexes.
const [connector] = ws.createConnector({ bridge: bridgeLine });
const conn = connector.createConnection({}, {}, () => console.log("connected"));
conn.end("hello");
conn.on("data", (d) => console.log("echoed:", d.toString(), conn.getStats()));
conn.on("close", () => srv.close());
