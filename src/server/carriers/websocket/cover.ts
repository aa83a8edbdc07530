/**
 * What everyone who is not a carrier client sees: an ordinary small web
 * site. `/` is a static page, every other path a plain 404, and nothing in
 * a status line, header or body mentions WebSockets, tor or transports.
 * Probing resistance means the secret path itself answers exactly like any
 * other unknown path unless the request is a well-formed upgrade.
 */
import http from "node:http";
import type { Socket } from "node:net";
import type { Duplex } from "node:stream";

/** The page served for `/`. */
export interface CoverPage {
  readonly body: string | Uint8Array;
  /** Default `text/html; charset=utf-8`. */
  readonly contentType?: string;
}

/** A bland default: what a freshly installed site shows. */
export const DEFAULT_COVER_PAGE: CoverPage = {
  body:
    '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n<title>Welcome</title>\n</head>\n' +
    "<body>\n<h1>Welcome</h1>\n<p>This site is under construction. Please check back later.</p>\n</body>\n</html>\n",
};

const NOT_FOUND_BODY = Buffer.from("Not Found\n");
const NOT_ALLOWED_BODY = Buffer.from("Method Not Allowed\n");

export interface CoverResponder {
  (req: http.IncomingMessage, res: http.ServerResponse): void;
}

/** The request handler for the cover site. */
export function createCoverResponder(page: CoverPage = DEFAULT_COVER_PAGE): CoverResponder {
  const body = typeof page.body === "string" ? Buffer.from(page.body) : Buffer.from(page.body);
  const contentType = page.contentType ?? "text/html; charset=utf-8";
  const lastModified = new Date().toUTCString();
  return (req, res) => {
    const path = (req.url ?? "").split("?", 1)[0];
    if (path !== "/") {
      send(res, 404, "text/plain; charset=utf-8", NOT_FOUND_BODY);
      return;
    }
    if (req.method !== "GET" && req.method !== "HEAD") {
      res.setHeader("Allow", "GET, HEAD");
      send(res, 405, "text/plain; charset=utf-8", NOT_ALLOWED_BODY);
      return;
    }
    res.setHeader("Last-Modified", lastModified);
    res.setHeader("Cache-Control", "public, max-age=3600");
    send(res, 200, contentType, body);
  };
}

function send(res: http.ServerResponse, status: number, contentType: string, body: Buffer): void {
  res.statusCode = status;
  res.setHeader("Content-Type", contentType);
  res.setHeader("Content-Length", body.length);
  res.setHeader("X-Content-Type-Options", "nosniff");
  // HEAD: Node drops the body itself and keeps Content-Length.
  res.end(body);
}

/**
 * Answers a request whose socket Node has already handed over (an 'upgrade'
 * or 'connect' we decline) through a real ServerResponse, so the bytes are
 * formatted exactly as the ordinary handler's (Date, Connection, casing);
 * then closes the connection, as servers do after a refused upgrade.
 */
export function respondOnSocket(req: http.IncomingMessage, socket: Duplex, responder: CoverResponder): void {
  socket.on("error", () => socket.destroy());
  const res = new http.ServerResponse(req);
  res.shouldKeepAlive = false;
  res.assignSocket(socket as Socket);
  res.once("finish", () => {
    res.detachSocket(socket as Socket);
    socket.end();
    // A client that never reads must not hold the socket open.
    setTimeout(() => socket.destroy(), 1000).unref();
  });
  responder(req, res);
}
