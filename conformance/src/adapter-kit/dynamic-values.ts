/**
 * `set-dynamic-header` / `set-dynamic-param`: values a client computes again
 * for every request it sends (each retry, each long-poll, each SSE reconnect).
 */
type Spec = { kind: "counter"; count: number } | { kind: "timestamp" } | { kind: "token"; value: string }

export class DynamicValues {
  private readonly headers = new Map<string, Spec>()
  private readonly params = new Map<string, Spec>()

  /** False for a value type this kind of value cannot have. */
  setHeader(name: string, valueType: string, initialValue: string | undefined): boolean {
    const spec = specOf(valueType, initialValue)
    if (!spec) return false
    this.headers.set(name, spec)
    return true
  }

  setParam(name: string, valueType: string): boolean {
    const spec = specOf(valueType, undefined)
    if (!spec || spec.kind === "token") return false
    this.params.set(name, spec)
    return true
  }

  clear(): void {
    this.headers.clear()
    this.params.clear()
  }

  headerNames(): string[] {
    return [...this.headers.keys()]
  }

  /** One function per header, called by the client for each request. */
  headerFunctions(): Record<string, () => string> {
    return functionsFor(this.headers)
  }

  paramFunctions(): Record<string, () => string> {
    return functionsFor(this.params)
  }
}

function specOf(valueType: string, initialValue: string | undefined): Spec | undefined {
  switch (valueType) {
    case "counter":
      return { kind: "counter", count: 0 }
    case "timestamp":
      return { kind: "timestamp" }
    case "token":
      return { kind: "token", value: initialValue ?? "" }
    default:
      return undefined
  }
}

function functionsFor(specs: Map<string, Spec>): Record<string, () => string> {
  const out: Record<string, () => string> = {}
  for (const [name, spec] of specs) {
    out[name] = () => {
      switch (spec.kind) {
        case "counter":
          spec.count++
          return String(spec.count)
        case "timestamp":
          return String(Date.now())
        case "token":
          return spec.value
      }
    }
  }
  return out
}
