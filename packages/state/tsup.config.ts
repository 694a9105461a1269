import { layerConfig } from "../tsconfig/tsup-layer"

export default layerConfig(
  ["src/index.ts", "src/tab-sharing.ts", "src/indexeddb.ts", "src/outbox.ts", "src/writable.ts", "src/internal.ts"],
  ["@durable-client/json", "@durable-client/bytes"],
  { shortenPrivateNames: true }
)
