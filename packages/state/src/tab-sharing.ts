// Re-exported so one install of this layer is enough.
export * from "@durable-client/json/tab-sharing"
