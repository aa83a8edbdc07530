// The test web app (served to Chromium by harness.ts): uses the built web-app client (`webpt` global) the way a
// real app would, and reports what it saw. Plain JavaScript: it runs in the page as it is.
/* global webpt, window, document, crypto, performance */
"use strict";
(() => {
  let client = null;
  const getClient = () => (client ??= webpt.createWebptClient({ helloTimeoutMs: 1500 }));

  /** Deterministic test bytes (xorshift32); test/e2e/extension.test.ts computes the same. */
  function pattern(n, seed) {
    const out = new Uint8Array(n);
    let x = seed >>> 0 || 1;
    for (let i = 0; i < n; i++) {
      x ^= x << 13;
      x >>>= 0;
      x ^= x >>> 17;
      x ^= x << 5;
      x >>>= 0;
      out[i] = x & 0xff;
    }
    return out;
  }

  const hex = (buf) => Array.from(new Uint8Array(buf), (b) => b.toString(16).padStart(2, "0")).join("");
  const sha256 = async (bytes) => hex(await crypto.subtle.digest("SHA-256", bytes));
  const plain = (e) => ({ name: e?.name, code: e?.code, message: e?.message });

  async function echo(n, request, seed = 1) {
    const started = performance.now();
    const conn = getClient().connect(request);
    try {
      const info = await conn.opened;
      const opened = performance.now() - started;
      const data = pattern(n, seed);
      const writer = conn.writable.getWriter();
      const reader = conn.readable.getReader();
      const send = (async () => {
        for (let off = 0; off < n; off += 65536) {
          await writer.ready;
          writer.write(data.subarray(off, off + 65536)).catch(() => undefined);
        }
        await writer.ready;
      })();
      const got = new Uint8Array(n);
      let received = 0;
      while (received < n) {
        const r = await reader.read();
        if (r.done) break;
        got.set(r.value.subarray(0, Math.min(r.value.length, n - received)), received);
        received += r.value.length;
      }
      await send;
      const ms = performance.now() - started;
      const result = {
        ok: true,
        transport: info.transport,
        keys: Object.keys(info).sort(),
        received,
        sentSha: await sha256(data),
        receivedSha: await sha256(got),
        openedMs: Math.round(opened),
        ms: Math.round(ms),
      };
      await conn.close();
      return result;
    } catch (e) {
      return { ok: false, error: plain(e) };
    }
  }

  window.app = {
    isAvailable: () => getClient().isAvailable(),
    requestAccess: (timeoutMs) =>
      getClient()
        .requestAccess({ timeoutMs })
        .then(
          () => ({ ok: true }),
          (e) => ({ ok: false, error: plain(e) }),
        ),
    echo,
    /** Opens and waits for the open only (or the error). */
    tryOpen: async (request) => {
      const conn = getClient().connect(request);
      try {
        const info = await conn.opened;
        await conn.close();
        return { ok: true, transport: info.transport };
      } catch (e) {
        return { ok: false, error: plain(e) };
      }
    },
    /** What a page can see of the extension: globals and DOM attributes it might have added. */
    footprint: () => ({
      // `chrome` is Chromium's own page global (with or without extensions); `webpt` is this page's client.
      globals: Object.keys(window).filter((k) => /webpt|browser/i.test(k) && k !== "webpt"),
      chromeRuntime: typeof window.chrome?.runtime?.sendMessage,
      attributes: Array.from(document.documentElement.attributes, (a) => a.name),
    }),
  };
})();
