/**
 * Where a live session learns that the page is hidden, the app went to the
 * background, or the network came back. Each source is replaceable (React
 * Native's AppState and NetInfo, a test double, any other platform), is
 * listened to only while a live session runs, and never imported: the SDK
 * touches `document` and the global's online events only where they exist.
 */

/** Anything that says whether reading should go on: visible, in the foreground, online. */
export interface ActivitySource {
  /** True while active (visible, in the foreground, online). */
  isActive(): boolean
  /** Calls `listener` with the new state on every change; returns a function that stops it. */
  subscribe(listener: (active: boolean) => void): () => void
}

/** `document`, or anything shaped like it. Hidden is `visibilityState === "hidden"`. */
export interface VisibilityDocument {
  readonly visibilityState: string
  addEventListener(type: "visibilitychange", listener: () => void): void
  removeEventListener(type: "visibilitychange", listener: () => void): void
}

/** React Native's `AppState`, or anything shaped like it. Only `"background"` pauses. */
export interface AppStateLike {
  readonly currentState: string | null | undefined
  addEventListener(type: "change", listener: (state: string) => void): { remove(): void }
}

/** `@react-native-community/netinfo`'s default export, or anything shaped like it. */
export interface NetInfoLike {
  addEventListener(listener: (state: { isConnected: boolean | null }) => void): () => void
}

/** How a session follows the device and the page it runs in. */
export interface LifecycleOptions {
  /**
   * Page visibility. Default: `document`, where there is one. `false`
   * ignores visibility.
   */
  visibility?: VisibilityDocument | ActivitySource | false
  /**
   * Pause live requests (long-poll, SSE) while the page is hidden, and
   * resume from the session's offset the moment it is shown. Default true.
   */
  pauseWhenHidden?: boolean
  /**
   * App state: pass React Native's `AppState` (or any ActivitySource). Live
   * requests pause in the background and resume in the foreground. Default: none.
   */
  appState?: AppStateLike | ActivitySource | false
  /**
   * Network reachability. Requests pause while offline; coming back online
   * ends any backoff and reconnects at once. Default: the `online` and
   * `offline` events of the browser or worker global, where there are
   * any. NetInfo (`@react-native-community/netinfo`) works as is. `false`
   * ignores the network.
   */
  online?: NetInfoLike | ActivitySource | false
  /**
   * How often a live session checks for a wake from sleep, in ms; `false`
   * turns the check off. Default 5 000.
   */
  wakeCheckMs?: number | false
  /**
   * A check that comes this much later than due means the device slept (or
   * the process was suspended): the request in flight is presumed dead and
   * the session reconnects at once. Default 30 000 ms.
   */
  wakeGapMs?: number
}

/** Lifecycle sources after validation: each one an ActivitySource, or absent. */
export interface ResolvedLifecycle {
  visibility: ActivitySource | undefined
  pauseWhenHidden: boolean
  appState: ActivitySource | undefined
  online: ActivitySource | undefined
  wakeCheckMs: number | undefined
  wakeGapMs: number
}

const isFunction = (value: unknown): value is (...args: never[]) => unknown => typeof value === "function"

export function isActivitySource(value: unknown): value is ActivitySource {
  const candidate = value as Partial<ActivitySource> | null
  return typeof value === "object" && value !== null && isFunction(candidate?.isActive) && isFunction(candidate?.subscribe)
}

export function isVisibilityDocument(value: unknown): value is VisibilityDocument {
  const candidate = value as Partial<VisibilityDocument> | null
  return (
    typeof value === "object" &&
    value !== null &&
    typeof candidate?.visibilityState === "string" &&
    isFunction(candidate.addEventListener) &&
    isFunction(candidate.removeEventListener)
  )
}

export function isAppStateLike(value: unknown): value is AppStateLike {
  const candidate = value as Partial<AppStateLike> | null
  return typeof value === "object" && value !== null && "currentState" in value && isFunction(candidate?.addEventListener)
}

export function isNetInfoLike(value: unknown): value is NetInfoLike {
  const candidate = value as Partial<NetInfoLike> | null
  return typeof value === "object" && value !== null && isFunction(candidate?.addEventListener)
}

export function documentVisibility(document: VisibilityDocument): ActivitySource {
  return {
    isActive: () => document.visibilityState !== "hidden",
    subscribe: (listener) => {
      const onChange = (): void => listener(document.visibilityState !== "hidden")
      document.addEventListener("visibilitychange", onChange)
      return () => document.removeEventListener("visibilitychange", onChange)
    },
  }
}

export function appStateActivity(appState: AppStateLike): ActivitySource {
  // iOS reports "inactive" for a pulled-down notification centre or an
  // incoming call: the app is still on screen, so only "background" pauses.
  return {
    isActive: () => appState.currentState !== "background",
    subscribe: (listener) => {
      const subscription = appState.addEventListener("change", (state) => listener(state !== "background"))
      return () => subscription.remove()
    },
  }
}

export function netInfoActivity(netInfo: NetInfoLike): ActivitySource {
  // `isConnected` is null while unknown: only a definite false is offline.
  let online = true
  return {
    isActive: () => online,
    subscribe: (listener) =>
      netInfo.addEventListener((state) => {
        online = state?.isConnected !== false
        listener(online)
      }),
  }
}

interface OnlineEventTarget {
  addEventListener(type: "online" | "offline", listener: () => void): void
  removeEventListener(type: "online" | "offline", listener: () => void): void
}

/**
 * The browser's (or a worker's) `online` and `offline` events. Starts out
 * online whatever `navigator.onLine` says: that flag has been wrong for
 * some desktop setups, and a session that never starts is worse than one
 * that retries; an `offline` event is a clearer signal.
 */
function globalOnline(target: OnlineEventTarget): ActivitySource {
  let online = true
  return {
    isActive: () => online,
    subscribe: (listener) => {
      const onOnline = (): void => listener((online = true))
      const onOffline = (): void => listener((online = false))
      target.addEventListener("online", onOnline)
      target.addEventListener("offline", onOffline)
      return () => {
        target.removeEventListener("online", onOnline)
        target.removeEventListener("offline", onOffline)
      }
    },
  }
}

/** `document` where the runtime has one (browsers; not workers, Node, Deno, Bun or React Native). */
export function defaultVisibility(): ActivitySource | undefined {
  const document: unknown = (globalThis as { document?: unknown }).document
  return isVisibilityDocument(document) ? documentVisibility(document) : undefined
}

/** The global's online/offline events where the runtime fires them (browsers and their workers). */
export function defaultOnline(): ActivitySource | undefined {
  const global = globalThis as unknown as Partial<OnlineEventTarget> & { navigator?: { onLine?: unknown } }
  if (!isFunction(global.addEventListener) || !isFunction(global.removeEventListener)) return undefined
  if (typeof global.navigator?.onLine !== "boolean") return undefined
  return globalOnline(global as OnlineEventTarget)
}
