/// <reference types="node" />

export interface DribbleOptions {
  /** Gap between two consecutive bytes. The first byte goes out at once. */
  intervalMs: number;
  /** Called once, after `end()`, when every pushed byte has been written. */
  onFinish?: () => void;
  /** Called whenever the backlog runs empty, so a producer paused for backpressure can resume. */
  onDrained?: () => void;
}

/**
 * Writes bytes one at a time with a pause between them: the pacing of a
 * slowloris peer. Bytes can be pushed while earlier ones are still going
 * out, so a streamed body can be dribbled as it arrives.
 */
export interface Dribble {
  push(bytes: Uint8Array): void;
  /** No more bytes will be pushed; `onFinish` runs once the backlog is out. */
  end(): void;
  /** Stops for good: nothing more is written and no timer is left behind. */
  cancel(): void;
  /** Bytes pushed but not yet written. */
  readonly backlog: number;
}

/**
 * Starts a dribble into `write`, which gets one single-byte array per tick.
 * The only timer is the one for the next byte, and there is none while the
 * backlog is empty, so an idle or cancelled dribble keeps nothing alive.
 */
export function createDribble(
  write: (byte: Uint8Array) => void,
  options: DribbleOptions,
): Dribble {
  if (!Number.isFinite(options.intervalMs) || options.intervalMs < 0) {
    throw new RangeError(`dribble intervalMs must be a non-negative number, got ${options.intervalMs}`);
  }
  const queue: Uint8Array[] = [];
  // Position inside queue[0], so a large chunk is not copied once per byte.
  let position = 0;
  let backlog = 0;
  let ended = false;
  let done = false;
  // Cancels the pending tick; undefined while none is pending.
  let cancelTick: (() => void) | undefined;
  // The interval counts from the previous byte, also across idle spells, so
  // a body arriving in pieces is never written faster than one byte a gap.
  let nextByteAt = 0;

  function finish(): void {
    done = true;
    options.onFinish?.();
  }

  function schedule(): void {
    if (done || cancelTick !== undefined) return;
    if (backlog === 0) {
      if (ended) finish();
      return;
    }
    const wait = nextByteAt - performance.now();
    if (wait > 0) {
      const timer = setTimeout(tick, wait);
      cancelTick = () => clearTimeout(timer);
    } else {
      // Timers wait at least 1 ms, which would make a zero interval crawl
      // through a 700-byte head in most of a second.
      const immediate = setImmediate(tick);
      cancelTick = () => clearImmediate(immediate);
    }
  }

  function tick(): void {
    cancelTick = undefined;
    if (done) return;
    const chunk = queue[0];
    if (chunk === undefined) return;
    const byte = chunk.subarray(position, position + 1);
    position += 1;
    backlog -= 1;
    if (position === chunk.length) {
      queue.shift();
      position = 0;
    }
    nextByteAt = performance.now() + options.intervalMs;
    write(byte);
    if (backlog === 0) options.onDrained?.();
    schedule();
  }

  return {
    push(bytes: Uint8Array): void {
      if (done || ended || bytes.length === 0) return;
      queue.push(bytes);
      backlog += bytes.length;
      schedule();
    },
    end(): void {
      ended = true;
      schedule();
    },
    cancel(): void {
      done = true;
      cancelTick?.();
      cancelTick = undefined;
      queue.length = 0;
      backlog = 0;
    },
    get backlog(): number {
      return backlog;
    },
  };
}
