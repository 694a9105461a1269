// The `@durable-client/testing/vitest` entry point (its helpers live in vitest-helpers.ts).
export * from "./vitest-helpers"
