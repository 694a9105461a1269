/**
 * For tables of bad calls: a fetch that only counts (a bad call must send
 * nothing), and a way to get the typed error a call raised, whether it threw
 * or rejected. Typed by the caller: the kit does not depend on the SDK.
 */

/** What `countingFetch` returns: the fetch to inject, and how often it was called. */
export interface CountingFetch {
  fetch: typeof globalThis.fetch;
  readonly calls: number;
}

/** A fetch that counts its calls and answers 500: after a bad call, `calls` should still be 0. */
export function countingFetch(): CountingFetch {
  let calls = 0;
  return {
    fetch: (async () => {
      calls++;
      return new Response("", { status: 500 });
    }) as typeof globalThis.fetch,
    get calls() {
      return calls;
    },
  };
}

/**
 * Runs `call` (sync or async) and returns the SDK error it raised — any
 * error with a string `code` and `url`. Fails when the call succeeds or
 * throws anything else.
 */
export async function raisedError<E extends { code: string; url: string; message: string }>(
  call: () => unknown,
): Promise<E> {
  let caught: unknown;
  try {
    await call();
  } catch (error) {
    caught = error;
  }
  const typed =
    typeof caught === "object" &&
    caught !== null &&
    typeof (caught as { code?: unknown }).code === "string" &&
    typeof (caught as { url?: unknown }).url === "string";
  if (!typed) throw new Error(`expected an SDK error, got ${caught === undefined ? "success" : String(caught)}`);
  return caught as E;
}
