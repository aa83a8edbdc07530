/**
 * What a parent makes of a PT's startup lines, in tor's order
 * (transports.c handle_proxy_line; pt-spec §3.3): VERSION first, then (a
 * client with TOR_PT_PROXY) PROXY DONE or PROXY-ERROR, then the method lines
 * of its role, then the DONE line. LOG, STATUS and unknown keywords may come
 * at any time and never affect startup ("The parent process MUST ignore
 * lines received from PT proxies with unknown keywords"). Pure: the process
 * wrapper feeds it messages and acts on the verdicts.
 */
import type { CmethodMessage, IpcMessage, SmethodMessage } from "../../shared/codec/pt-ipc/index.js";
import type { MethodFailure, PtLaunchErrorCode } from "./errors.js";

export type PtRole = "client" | "server";

export interface StartupFailure {
  readonly code: PtLaunchErrorCode;
  readonly message: string;
  readonly detail?: string;
  readonly failures?: readonly MethodFailure[];
}

/** `continue`: keep reading; `done`: the DONE line arrived and startup succeeded; `fail`: give up. */
export type StartupVerdict =
  | { readonly kind: "continue" }
  | { readonly kind: "done" }
  | { readonly kind: "fail"; readonly failure: StartupFailure };

export interface StartupOptions {
  readonly role: PtRole;
  /** The versions we offered in TOR_PT_MANAGED_TRANSPORT_VER. */
  readonly offered: readonly string[];
  /** Whether TOR_PT_PROXY was set (then PROXY DONE is required). */
  readonly proxyRequested: boolean;
  /** The transports we asked for; with `requireAll`, each must be launched. */
  readonly transports: readonly string[];
  readonly requireAll: boolean;
}

const CONTINUE: StartupVerdict = { kind: "continue" };

export class StartupTracker {
  readonly #o: StartupOptions;
  version: string | undefined;
  proxyDone = false;
  readonly cmethods: CmethodMessage[] = [];
  readonly smethods: SmethodMessage[] = [];
  readonly methodErrors: MethodFailure[] = [];

  constructor(options: StartupOptions) {
    this.#o = options;
  }

  get doneKind(): "CMETHODS DONE" | "SMETHODS DONE" {
    return this.#o.role === "client" ? "CMETHODS DONE" : "SMETHODS DONE";
  }

  accept(m: IpcMessage): StartupVerdict {
    switch (m.kind) {
      case "VERSION-ERROR":
        return fail("ERR_PT_VERSION_ERROR", `PT rejected every offered version: ${m.message}`, m.message);
      case "ENV-ERROR":
        return fail("ERR_PT_ENV_ERROR", `PT rejected its environment: ${m.message}`, m.message);
      case "PROXY-ERROR":
        return fail("ERR_PT_PROXY_ERROR", `PT rejected the upstream proxy: ${m.message}`, m.message);
      case "LOG":
      case "STATUS":
      case "UNKNOWN":
        return CONTINUE;
      case "VERSION":
        if (this.version !== undefined) return fail("ERR_PT_BAD_OUTPUT", "PT printed VERSION twice");
        if (!this.#o.offered.includes(m.version)) {
          return fail(
            "ERR_PT_BAD_VERSION",
            `PT chose version ${m.version}, which we did not offer (${this.#o.offered.join(",")})`,
            m.version,
          );
        }
        this.version = m.version;
        return CONTINUE;
      default:
        break;
    }
    // pt-spec §3.3.1: "output a VERSION message before moving on to client/server proxy initialization".
    if (this.version === undefined) return fail("ERR_PT_BAD_OUTPUT", `PT printed ${m.kind} before VERSION`);
    switch (m.kind) {
      case "PROXY DONE":
        this.proxyDone = true;
        return CONTINUE;
      case "CMETHOD":
      case "CMETHOD-ERROR":
      case "CMETHODS DONE":
        if (this.#o.role !== "client") return fail("ERR_PT_BAD_OUTPUT", `PT printed ${m.kind} in the server role`);
        break;
      default:
        if (this.#o.role !== "server") return fail("ERR_PT_BAD_OUTPUT", `PT printed ${m.kind} in the client role`);
        break;
    }
    switch (m.kind) {
      case "CMETHOD":
        this.cmethods.push(m);
        return CONTINUE;
      case "SMETHOD":
        this.smethods.push(m);
        return CONTINUE;
      case "CMETHOD-ERROR":
      case "SMETHOD-ERROR":
        this.methodErrors.push({ transport: m.transport, message: m.message });
        return CONTINUE;
      default:
        return this.#done();
    }
  }

  /**
   * A message from stderr (PT 2.x writes its error lines there). Pipes race,
   * so no ordering is enforced: the terminal errors end startup, method
   * errors are recorded, everything else is ignored.
   */
  acceptStderr(m: IpcMessage): StartupVerdict {
    switch (m.kind) {
      case "VERSION-ERROR":
      case "ENV-ERROR":
      case "PROXY-ERROR":
        return this.accept(m);
      case "CMETHOD-ERROR":
      case "SMETHOD-ERROR":
        this.methodErrors.push({ transport: m.transport, message: m.message });
        return CONTINUE;
      default:
        return CONTINUE;
    }
  }

  /** At the DONE line: the proxy must have been accepted, and (with requireAll) every transport launched. */
  #done(): StartupVerdict {
    if (this.#o.proxyRequested && !this.proxyDone) {
      return fail("ERR_PT_PROXY_IGNORED", "TOR_PT_PROXY was set but the PT never printed PROXY DONE");
    }
    if (!this.#o.requireAll) return { kind: "done" };
    const launched = new Set([...this.cmethods, ...this.smethods].map((m) => m.transport));
    const failures: MethodFailure[] = [];
    for (const t of this.#o.transports) {
      if (launched.has(t)) continue;
      const err = this.methodErrors.find((e) => e.transport === t);
      failures.push({ transport: t, message: err?.message ?? "not announced before DONE (unknown to the PT?)" });
    }
    if (failures.length === 0) return { kind: "done" };
    const text = failures.map((f) => `${f.transport}: ${f.message}`).join("; ");
    return {
      kind: "fail",
      failure: { code: "ERR_PT_METHOD_ERROR", message: `PT did not launch ${text}`, detail: text, failures },
    };
  }
}

function fail(code: PtLaunchErrorCode, message: string, detail?: string): StartupVerdict {
  return { kind: "fail", failure: detail === undefined ? { code, message } : { code, message, detail } };
}
