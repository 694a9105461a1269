import { layerConfig } from "../tsconfig/tsup-layer"

// `ai` is a peer: only its types are imported, so it never reaches the bundle.
export default layerConfig(["src/index.ts"], ["@durable-client/json", "@durable-client/bytes", "ai"])
