// TypeDoc plugin: every export of a published entry point needs a doc
// comment. TypeDoc's own `validation.notDocumented` with "Function" in
// `requiredToBeDocumented` also demands one on every method signature; this
// checks the exports themselves (a function counts as documented when its
// declaration or one of its signatures has a comment) and fails the build.
import { Converter, ReflectionKind } from "typedoc"

const EXPORT_KINDS =
  ReflectionKind.Class | ReflectionKind.Interface | ReflectionKind.TypeAlias | ReflectionKind.Variable |
  ReflectionKind.Function | ReflectionKind.Enum | ReflectionKind.Namespace

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_END, (context) => {
    const exports = []
    for (const child of context.project.children ?? []) {
      if (child.kindOf(ReflectionKind.Module)) exports.push(...(child.children ?? []).map((c) => [child.name, c]))
      else exports.push([undefined, child])
    }
    for (const [entry, reflection] of exports) {
      if (!reflection.kindOf(EXPORT_KINDS)) continue
      // Re-exports of a lower layer are checked in that layer's own package.
      const file = reflection.sources?.[0]?.fullFileName ?? ""
      if (/\/(node_modules|dist)\//.test(file)) continue
      const signatures = reflection.signatures ?? []
      if (reflection.hasComment() || signatures.some((s) => s.hasComment())) continue
      const where = reflection.sources?.[0]
      app.logger.error(
        `${context.project.name}${entry ? `/${entry}` : ""}: export ${reflection.name} has no doc comment` +
          (where ? ` (${where.fullFileName}:${where.line})` : ""),
      )
    }
  })
}
