// Re-exported so one install of this layer is enough: a producer's durable outbox without importing @durable-client/json.
export * from "@durable-client/json/outbox"
