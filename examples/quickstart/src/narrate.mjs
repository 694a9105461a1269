// @ts-check
/**
 * Printing helpers for the tour, plus `check`, which turns a broken promise
 * of the library into a failed run (non-zero exit) instead of a line of
 * output nobody reads.
 */

export class TourCheckFailed extends Error {
  /** @override */
  name = "TourCheckFailed"
}

/**
 * @typedef {object} Narrator
 * @property {(title: string) => void} section  A layer of the tour (bytes, json, …).
 * @property {(title: string) => void} step     A numbered step within the current section.
 * @property {(text: string) => void} say       What happened, indented under the step.
 * @property {(condition: boolean, claim: string) => void} check  Asserts `claim` and prints it.
 */

/** @returns {Narrator} */
export function createNarrator(write = (/** @type {string} */ line) => console.log(line)) {
  let stepNumber = 0
  return {
    section(title) {
      stepNumber = 0
      write("")
      write(`=== ${title} ===`)
    },
    step(title) {
      stepNumber += 1
      write("")
      write(`${stepNumber}. ${title}`)
    },
    say(text) {
      write(`   ${text}`)
    },
    check(condition, claim) {
      if (!condition) throw new TourCheckFailed(`check failed: ${claim}`)
      write(`   ok: ${claim}`)
    },
  }
}

/** Short, readable form of some bytes for the narration. */
export function show(/** @type {Uint8Array | string} */ data) {
  const text = typeof data === "string" ? data : new TextDecoder().decode(data)
  return JSON.stringify(text.length > 60 ? `${text.slice(0, 57)}...` : text)
}

export function sleep(/** @type {number} */ ms) {
  return new Promise((resolve) => setTimeout(resolve, ms))
}
