/**
 * ExtServerAdapter (seed 003): runs a PT server whose clients arrive at our
 * own Extended ORPort (TOR_PT_EXTENDED_SERVER_PORT, tor-ext-orport-spec.txt)
 * instead of a plain TCP destination. The adapter plays tor's part: it
 * writes the cookie file (§2.1.2; a fresh random cookie unless a static one
 * is given), authenticates the PT with SAFE_COOKIE, shows the client's
 * USERADDR and TRANSPORT to a pre-connect callback that may DENY, and hands
 * each accepted stream to the connection callback.
 */
import { randomBytes } from "node:crypto";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import type net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { EXTOR_COOKIE_LENGTH, encodeAuthCookieFile } from "../../shared/codec/extorport/index.js";
import { formatHostPort } from "../../shared/net/host-port.js";
import type { PtAdapterEvents } from "./base-adapter.js";
import { AdapterError } from "./errors.js";
import { listenExtOrPort, type ExtOrClientInfo, type ExtOrListener } from "./extor-listener.js";
import type { PtLaunchOptions } from "./pt-process.js";
import { ServerPtAdapter, type ServerPtAdapterOptions } from "./server-transports.js";

export type { ExtOrClientInfo } from "./extor-listener.js";

/** The file name tor uses in its DataDirectory (§2.1). */
export const EXTOR_COOKIE_FILE_NAME = "extended_orport_auth_cookie";

export interface ExtServerAdapterOptions extends ServerPtAdapterOptions {
  /** Called with each accepted client's stream (after OKAY) and who it is. */
  readonly onConnection: (socket: net.Socket, info: ExtOrClientInfo) => void | Promise<void>;
  /** Return false to DENY the client (§3.1); onConnection is then not called. */
  readonly preConnect?: (info: ExtOrClientInfo) => boolean | Promise<boolean>;
  /** A static 32-byte cookie; by default a fresh random one per start. */
  readonly cookie?: Uint8Array;
  /** Where to write the cookie file; by default a private temporary directory (removed on close). */
  readonly cookieFile?: string;
  /** Our ExtORPort's listen address; default 127.0.0.1 port 0. */
  readonly extOrPort?: { readonly host?: string; readonly port?: number };
  /** Deadline for each PT connection's handshake, pre-connect callback included. */
  readonly handshakeTimeoutMs?: number;
  readonly maxConnections?: number;
}

export interface ExtServerAdapterEvents extends PtAdapterEvents {
  /** A PT connection that failed its handshake, or a callback that threw. */
  connectionError: [unknown, ExtOrClientInfo | undefined];
  /** A client the pre-connect callback denied. */
  deny: [ExtOrClientInfo];
}

export class ExtServerAdapter extends ServerPtAdapter<ExtServerAdapterEvents> {
  readonly #opts: ExtServerAdapterOptions;
  #listener: ExtOrListener | undefined;
  #cookieFile: string | undefined;
  #tempDir: string | undefined;

  constructor(options: ExtServerAdapterOptions) {
    super(options);
    if (options.cookie !== undefined && options.cookie.length !== EXTOR_COOKIE_LENGTH) {
      throw new AdapterError("ERR_ADAPTER_OPTIONS", `the cookie must be ${EXTOR_COOKIE_LENGTH} bytes`);
    }
    if (options.cookieFile !== undefined && !path.isAbsolute(options.cookieFile)) {
      // pt-spec §3.2.3: TOR_PT_AUTH_COOKIE_FILE is "an absolute filesystem path".
      throw new AdapterError("ERR_ADAPTER_OPTIONS", "cookieFile must be an absolute path");
    }
    this.#opts = options;
  }

  /** `new ExtServerAdapter(options).start()`. */
  static start(options: ExtServerAdapterOptions): Promise<ExtServerAdapter> {
    return new ExtServerAdapter(options).start();
  }

  /** Our ExtORPort's address, once started. */
  get extOrPort(): { readonly host: string; readonly port: number } | undefined {
    return this.#listener === undefined ? undefined : { host: this.#listener.host, port: this.#listener.port };
  }

  /** The cookie file given to the PT (TOR_PT_AUTH_COOKIE_FILE), once started. */
  get cookieFile(): string | undefined {
    return this.#cookieFile;
  }

  protected override async beforeLaunch(): Promise<void> {
    const cookie =
      this.#opts.cookie === undefined ? new Uint8Array(randomBytes(EXTOR_COOKIE_LENGTH)) : this.#opts.cookie;
    if (this.#opts.cookieFile === undefined) {
      this.#tempDir = await mkdtemp(path.join(tmpdir(), "webpt-extor-"));
      this.#cookieFile = path.join(this.#tempDir, EXTOR_COOKIE_FILE_NAME);
    } else {
      this.#cookieFile = this.#opts.cookieFile;
    }
    // Only the PT (running as us) may read the secret.
    await writeFile(this.#cookieFile, encodeAuthCookieFile(cookie), { mode: 0o600 });
    const emitter = this as unknown as { emit(e: string, ...a: unknown[]): boolean };
    this.#listener = await listenExtOrPort({
      cookie,
      onConnection: this.#opts.onConnection,
      ...(this.#opts.preConnect === undefined ? {} : { preConnect: this.#opts.preConnect }),
      ...(this.#opts.extOrPort?.host === undefined ? {} : { host: this.#opts.extOrPort.host }),
      ...(this.#opts.extOrPort?.port === undefined ? {} : { port: this.#opts.extOrPort.port }),
      ...(this.#opts.handshakeTimeoutMs === undefined ? {} : { handshakeTimeoutMs: this.#opts.handshakeTimeoutMs }),
      ...(this.#opts.maxConnections === undefined ? {} : { maxConnections: this.#opts.maxConnections }),
      onError: (err, info) => emitter.emit("connectionError", err, info),
      onDeny: (info) => emitter.emit("deny", info),
    });
  }

  protected launchOptions(): Promise<Pick<PtLaunchOptions, "role" | "transports" | "env" | "proxy">> {
    const l = this.#listener!;
    return Promise.resolve({
      role: "server",
      transports: this.specs.map((s) => s.name),
      env: {
        ...this.transportEnv,
        TOR_PT_EXTENDED_SERVER_PORT: formatHostPort({
          host: l.host,
          port: l.port,
          type: l.host.includes(":") ? "ipv6" : "ipv4",
        }),
        TOR_PT_AUTH_COOKIE_FILE: this.#cookieFile!,
      },
    });
  }

  protected override async afterExit(): Promise<void> {
    await this.#listener?.close();
    if (this.#tempDir !== undefined) await rm(this.#tempDir, { recursive: true, force: true });
  }
}
