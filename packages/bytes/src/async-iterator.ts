/**
 * Hermes (React Native's engine) has no `Symbol.asyncIterator`. There a
 * `[Symbol.asyncIterator]()` method ends up under the key "undefined", while
 * the `for await` code Babel emits for React Native looks for
 * "@@asyncIterator". Aliasing the method under that key lets apps write
 * `for await (const chunk of session)` without a Symbol.asyncIterator
 * polyfill. Does nothing where the symbol exists.
 */
export function aliasAsyncIterator(prototype: object): void {
  const symbol: unknown = (Symbol as { asyncIterator?: unknown }).asyncIterator
  if (typeof symbol === "symbol") return
  const method = (prototype as Record<string, unknown>)[String(symbol)]
  if (typeof method === "function") {
    Object.defineProperty(prototype, "@@asyncIterator", { value: method, configurable: true, writable: true })
  }
}
