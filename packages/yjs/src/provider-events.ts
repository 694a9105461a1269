/** As in y-websocket: `connecting` until the stream answers, `connected` while reading, `disconnected` otherwise. */
export type ProviderStatus = "connecting" | "connected" | "disconnected"

/** Events a `DurableYjsProvider` emits (`on`, `off`, `once`). */
export interface DurableYjsProviderEvents {
  status: (event: { status: ProviderStatus }) => void
  /** The document caught up with the stream (true), or lost its connection (false). */
  sync: (synced: boolean) => void
  /** Same as `sync`, under y-websocket's other name. */
  synced: (synced: boolean) => void
  /** A failed request, storage write or connection; `provider.error` holds a failure that stopped it. */
  error: (error: Error) => void
  /** A document checkpoint was stored. */
  checkpoint: (event: { offset: string }) => void
  /** The number of local updates not yet stored on the server changed (an "unsaved edits" indicator). */
  pending: (count: number) => void
}
