// Re-exported so one install of this layer is enough.
export * from "@durable-client/bytes/tab-sharing"
