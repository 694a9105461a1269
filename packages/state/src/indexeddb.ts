// Re-exported so one install of this layer is enough: `keyValueStorage(indexedDbKeyValue())` keeps checkpoints in IndexedDB.
export * from "@durable-client/json/indexeddb"
