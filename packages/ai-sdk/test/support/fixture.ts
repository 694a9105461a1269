// One chat setup per test: the reference server (per file), a header-logging
// proxy in front of it, and a chat route driven by a gated mock model.
import type { ReferenceServer } from "@durable-client/testing"
import { afterEach } from "vitest"
import { DurableChatTransport, memoryChatStreamStore, type ChatStreamStore, type DurableChatTransportOptions } from "../../src"
import { startChatApp, type ChatApp, type ChatAppOptions } from "./chat-app"
import { startHeaderLogProxy, type HeaderLogProxy } from "./header-log-proxy"
import { gatedModel, type GatedModel } from "./mock-models"

export const ANSWER =
  "Durable streams keep every chunk at an offset of its own, so a page that reloads in the middle of an answer " +
  "reads it again from the stream — and the model is never asked twice. ✨"

export interface ChatSetup {
  gate: GatedModel
  proxy: HeaderLogProxy
  app: ChatApp
  /** A store shared by every transport of the test: like one browser profile's localStorage. */
  store: ChatStreamStore
  transport(options?: DurableChatTransportOptions): DurableChatTransport
}

export function useChatSetup(server: ReferenceServer): (options?: Partial<ChatAppOptions> & { answer?: string }) => Promise<ChatSetup> {
  const cleanups: Array<() => Promise<void>> = []
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup()
  })
  return async (options = {}) => {
    const gate = gatedModel(options.answer ?? ANSWER)
    const proxy = await startHeaderLogProxy(server.url)
    cleanups.push(() => proxy.stop())
    const app = await startChatApp({ model: gate.model, streamsUrl: proxy.url, ...options })
    cleanups.push(async () => {
      gate.settle()
      await app.stop()
    })
    const store = memoryChatStreamStore()
    return {
      gate,
      proxy,
      app,
      store,
      transport: (transportOptions = {}) => new DurableChatTransport({ api: app.api, store, ...transportOptions }),
    }
  }
}
