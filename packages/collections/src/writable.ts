// Re-exported so one install of this layer is enough: a WritableStream over a producer without importing @durable-client/json.
export * from "@durable-client/state/writable"
