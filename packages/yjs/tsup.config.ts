import { layerConfig } from "../tsconfig/tsup-layer"

// yjs and y-protocols are peer dependencies, which tsup keeps external too: one copy per app.
export default layerConfig(["src/index.ts"], ["@durable-client/state", "yjs", "y-protocols"])
