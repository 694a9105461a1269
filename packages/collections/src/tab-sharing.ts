// Re-exported so one install of this layer is enough.
export * from "@durable-client/state/tab-sharing"
