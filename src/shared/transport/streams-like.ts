/**
 * The WHATWG Streams (https://streams.spec.whatwg.org/) surface the browser
 * Transport API builds its connections on, typed structurally: src/shared
 * compiles without lib.dom (tsconfig.shared.json), yet browsers, workers,
 * service workers, Deno and Node >= 18 all have `ReadableStream` and
 * `WritableStream` as globals with this shape. A real `ReadableStream` from
 * any of them satisfies these interfaces, and the objects we hand out are the
 * runtime's own streams (so `pipeTo`, `pipeThrough` and `for await` work).
 */

export type ReadResultLike<T> =
  { readonly done: false; readonly value: T } | { readonly done: true; readonly value?: undefined };

export interface ReadableStreamDefaultReaderLike<T> {
  readonly closed: Promise<void>;
  read(): Promise<ReadResultLike<T>>;
  cancel(reason?: unknown): Promise<void>;
  releaseLock(): void;
}

export interface WritableStreamDefaultWriterLike<T> {
  readonly closed: Promise<void>;
  readonly ready: Promise<void>;
  readonly desiredSize: number | null;
  write(chunk: T): Promise<void>;
  close(): Promise<void>;
  abort(reason?: unknown): Promise<void>;
  releaseLock(): void;
}

export interface StreamPipeOptionsLike {
  preventClose?: boolean;
  preventAbort?: boolean;
  preventCancel?: boolean;
  signal?: AbortSignal;
}

export interface WritableStreamLike<T> {
  readonly locked: boolean;
  getWriter(): WritableStreamDefaultWriterLike<T>;
  abort(reason?: unknown): Promise<void>;
  close(): Promise<void>;
}

export interface ReadableStreamLike<T> {
  readonly locked: boolean;
  getReader(): ReadableStreamDefaultReaderLike<T>;
  cancel(reason?: unknown): Promise<void>;
  pipeTo(destination: WritableStreamLike<T>, options?: StreamPipeOptionsLike): Promise<void>;
}

export interface ReadableStreamDefaultControllerLike<T> {
  readonly desiredSize: number | null;
  enqueue(chunk: T): void;
  close(): void;
  error(reason?: unknown): void;
}

export interface WritableStreamDefaultControllerLike {
  error(reason?: unknown): void;
}

export interface UnderlyingSourceLike<T> {
  start?(controller: ReadableStreamDefaultControllerLike<T>): void | Promise<void>;
  pull?(controller: ReadableStreamDefaultControllerLike<T>): void | Promise<void>;
  cancel?(reason?: unknown): void | Promise<void>;
}

export interface UnderlyingSinkLike<T> {
  start?(controller: WritableStreamDefaultControllerLike): void | Promise<void>;
  write?(chunk: T, controller: WritableStreamDefaultControllerLike): void | Promise<void>;
  close?(): void | Promise<void>;
  abort?(reason?: unknown): void | Promise<void>;
}

export interface QueuingStrategyLike<T> {
  highWaterMark?: number;
  size?(chunk: T): number;
}

export interface StreamConstructors {
  readonly ReadableStream: new <T>(
    source: UnderlyingSourceLike<T>,
    strategy?: QueuingStrategyLike<T>,
  ) => ReadableStreamLike<T>;
  readonly WritableStream: new <T>(
    sink: UnderlyingSinkLike<T>,
    strategy?: QueuingStrategyLike<T>,
  ) => WritableStreamLike<T>;
}

/** The runtime's own stream constructors; a TypeError where the runtime has none. */
export function streamConstructors(): StreamConstructors {
  const g = globalThis as unknown as Partial<StreamConstructors>;
  if (typeof g.ReadableStream !== "function" || typeof g.WritableStream !== "function") {
    throw new TypeError("this runtime has no WHATWG ReadableStream/WritableStream");
  }
  return { ReadableStream: g.ReadableStream, WritableStream: g.WritableStream };
}

/** A byte-counting strategy: `highWaterMark` is in bytes. */
export function byteStrategy(highWaterMark: number): QueuingStrategyLike<Uint8Array> {
  return { highWaterMark, size: (chunk) => chunk.byteLength };
}
