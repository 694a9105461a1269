import type { Awareness } from "y-protocols/awareness"
import type { Text, YTextEvent } from "yjs"

/**
 * Binds a plain <textarea> to a Y.Text, both ways:
 * - typing turns the change (found by comparing the old and new value) into
 *   one Y.Text delete + insert, in a transaction marked as ours;
 * - remote changes rewrite the value and move the caret with the text around
 *   it, so typing in another window never makes this one's caret jump;
 * - the caret is shared as `cursor: { anchor, head }` in the awareness state.
 * Returns a function that unbinds.
 */
export function bindTextarea(textarea: HTMLTextAreaElement, text: Text, awareness?: Awareness): () => void {
  const local = Symbol("textarea")
  let shown = text.toString()
  textarea.value = shown

  const shareCursor = (): void => {
    if (!awareness || document.activeElement !== textarea) return
    const cursor = awareness.getLocalState()?.cursor as { anchor: number; head: number } | undefined
    const anchor = textarea.selectionStart
    const head = textarea.selectionEnd
    if (cursor?.anchor !== anchor || cursor?.head !== head) awareness.setLocalStateField("cursor", { anchor, head })
  }

  const onInput = (): void => {
    const next = textarea.value
    let start = 0
    while (start < shown.length && start < next.length && shown[start] === next[start]) start++
    let oldEnd = shown.length
    let newEnd = next.length
    while (oldEnd > start && newEnd > start && shown[oldEnd - 1] === next[newEnd - 1]) {
      oldEnd--
      newEnd--
    }
    shown = next
    text.doc!.transact(() => {
      if (oldEnd > start) text.delete(start, oldEnd - start)
      if (newEnd > start) text.insert(start, next.slice(start, newEnd))
    }, local)
    shareCursor()
  }

  const onRemote = (event: YTextEvent): void => {
    if (event.transaction.origin === local) return
    const move = (index: number): number => {
      let at = 0
      for (const op of event.delta) {
        if (at >= index) break
        if (op.retain !== undefined) at += op.retain
        else if (typeof op.insert === "string") {
          // Text inserted right at the caret goes after it: the caret stays with the text on its left,
          // so two people typing at the same place each keep their own words together.
          if (at < index) index += op.insert.length
          at += op.insert.length
        } else if (op.delete !== undefined) {
          index -= Math.min(op.delete, Math.max(0, index - at))
        }
      }
      return index
    }
    const focused = document.activeElement === textarea
    const [start, end] = [move(textarea.selectionStart), move(textarea.selectionEnd)]
    shown = text.toString()
    textarea.value = shown
    if (focused) textarea.setSelectionRange(start, end)
  }

  textarea.addEventListener("input", onInput)
  document.addEventListener("selectionchange", shareCursor)
  text.observe(onRemote)
  return () => {
    textarea.removeEventListener("input", onInput)
    document.removeEventListener("selectionchange", shareCursor)
    text.unobserve(onRemote)
  }
}
