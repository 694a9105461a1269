import { layerConfig } from "../tsconfig/tsup-layer"

// React lives in its own entry so the main one never pulls it in.
export default layerConfig(
  ["src/index.ts", "src/react.ts", "src/tab-sharing.ts", "src/outbox.ts", "src/writable.ts"],
  ["@durable-client/state", "@durable-client/json", "@durable-client/bytes", "react"],
  { shortenPrivateNames: true }
)
