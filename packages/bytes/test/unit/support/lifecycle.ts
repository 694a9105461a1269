/**
 * Stand-ins for the lifecycle sources a live session listens to: a page's
 * `document`, React Native's `AppState` and NetInfo. Each counts its
 * listeners, so a test can check that a finished session left none behind.
 */
import type { AppStateLike, NetInfoLike, VisibilityDocument } from "../../../src/index"

export class FakeDocument implements VisibilityDocument {
  visibilityState: "visible" | "hidden"
  private readonly listeners = new Set<() => void>()

  constructor(state: "visible" | "hidden" = "visible") {
    this.visibilityState = state
  }

  get listenerCount(): number {
    return this.listeners.size
  }

  addEventListener(_type: "visibilitychange", listener: () => void): void {
    this.listeners.add(listener)
  }

  removeEventListener(_type: "visibilitychange", listener: () => void): void {
    this.listeners.delete(listener)
  }

  /** Changes the visibility and fires `visibilitychange`, as a browser does. */
  set(state: "visible" | "hidden"): void {
    this.visibilityState = state
    for (const listener of [...this.listeners]) listener()
  }
}

export class FakeAppState implements AppStateLike {
  currentState = "active"
  private readonly listeners = new Set<(state: string) => void>()

  get listenerCount(): number {
    return this.listeners.size
  }

  addEventListener(_type: "change", listener: (state: string) => void): { remove(): void } {
    this.listeners.add(listener)
    return { remove: () => this.listeners.delete(listener) }
  }

  set(state: "active" | "background" | "inactive"): void {
    this.currentState = state
    for (const listener of [...this.listeners]) listener(state)
  }
}

/** Like NetInfo: tells a new listener the current state at once, then every change. */
export class FakeNetInfo implements NetInfoLike {
  private connected: boolean | null = true
  private readonly listeners = new Set<(state: { isConnected: boolean | null }) => void>()

  get listenerCount(): number {
    return this.listeners.size
  }

  addEventListener(listener: (state: { isConnected: boolean | null }) => void): () => void {
    this.listeners.add(listener)
    listener({ isConnected: this.connected })
    return () => this.listeners.delete(listener)
  }

  set(connected: boolean | null): void {
    this.connected = connected
    for (const listener of [...this.listeners]) listener({ isConnected: connected })
  }
}
