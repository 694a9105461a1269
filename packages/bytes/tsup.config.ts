import { layerConfig } from "../tsconfig/tsup-layer"

export default layerConfig(["src/index.ts", "src/tab-sharing.ts", "src/internal.ts"], [], { shortenPrivateNames: true })
