import type { OptionSpecs, ParsedArgs } from "./args"
import type { CommandContext } from "./context"

/** One subcommand: its options, help and what it does. */
export interface Command {
  name: string
  /** `append [url|name] [data]` */
  usage: string
  /** One line for the command list. */
  summary: string
  /** Paragraphs shown by `<command> --help` between the usage and the options. */
  details?: string
  options: OptionSpecs
  /** Resolves with the exit code (0 when it returns nothing). Throws UsageError or DurableStreamError. */
  run(context: CommandContext, args: ParsedArgs): Promise<number | void>
}
