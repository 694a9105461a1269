import { afterEach } from "vitest"
import { Doc } from "yjs"
import { DurableStream, DurableYjsProvider, type DurableYjsProviderOptions } from "../../src/index"
import { atOrAfter } from "./wait"
import { waitFor } from "@durable-client/testing/vitest"

const open = new Set<DurableYjsProvider>()

/** A provider destroyed after the test; awareness off unless asked for. */
export function openProvider(url: string, options: Partial<DurableYjsProviderOptions> = {}, doc = new Doc()): DurableYjsProvider {
  const provider = new DurableYjsProvider(doc, { url, awareness: false, reconnect: { initialDelayMs: 20, maxDelayMs: 200 }, retry: { initialDelayMs: 10, maxDelayMs: 100 }, ...options })
  open.add(provider)
  return provider
}

export function useProvidersDestroyedAfterEach(): void {
  afterEach(async () => {
    await Promise.all([...open].map((provider) => provider.destroy()))
    open.clear()
  })
}

/** Everything written is stored and every provider has read up to the stream's tail. */
export async function settle(providers: DurableYjsProvider[]): Promise<void> {
  await Promise.all(providers.map((provider) => provider.flush()))
  const tail = (await new DurableStream({ url: providers[0]!.url }).head()).offset
  await waitFor(() => providers.every((provider) => atOrAfter(provider.offset, tail)), `every provider to read up to ${tail}`)
}
