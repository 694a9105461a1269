/**
 * Proves that a layer keeps the `fetch` a handle was given. `fetch` is the
 * function to inject: it records each request and forwards it. Every other
 * request to the same stream path that reaches the global fetch lands in
 * `bypassed`: some layer rebuilt the handle from its URL and dropped the
 * injected fetch (and, with it, usually the headers and params too).
 */
export interface FetchWatch {
  fetch: (input: string, init: RequestInit) => Promise<Response>;
  /** Requests made through the injected fetch, in order. */
  readonly calls: WatchedRequest[];
  /** Requests to the watched path that went around it, straight to the global fetch. */
  readonly bypassed: WatchedRequest[];
  /** Puts the global fetch back. */
  restore(): void;
}

/** One request seen by `watchFetch`. */
export interface WatchedRequest {
  method: string;
  url: URL;
  headers: Headers;
}

/** Records the `fetch` calls made to one stream URL until `restore()`. */
export function watchFetch(streamUrl: string): FetchWatch {
  const path = new URL(streamUrl).pathname;
  const original = globalThis.fetch;
  const calls: WatchedRequest[] = [];
  const bypassed: WatchedRequest[] = [];
  const describe = (input: RequestInfo | URL, init: RequestInit | undefined): WatchedRequest => ({
    method: init?.method ?? "GET",
    url: new URL(input instanceof Request ? input.url : String(input)),
    headers: new Headers(init?.headers),
  });
  globalThis.fetch = (input: RequestInfo | URL, init?: RequestInit) => {
    const request = describe(input, init);
    if (request.url.pathname === path) bypassed.push(request);
    return original(input, init);
  };
  return {
    fetch: (input, init) => {
      calls.push(describe(input, init));
      return original(input, init);
    },
    calls,
    bypassed,
    restore: () => {
      globalThis.fetch = original;
    },
  };
}
