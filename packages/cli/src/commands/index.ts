import type { Command } from "../command"
import { append } from "./append"
import { close } from "./close"
import { create } from "./create"
import { remove } from "./delete"
import { fork } from "./fork"
import { head } from "./head"
import { inspect } from "./inspect"
import { read, tail } from "./read"

/** Every subcommand, in the order help lists them. */
export const COMMANDS: readonly Command[] = [create, append, read, tail, head, close, remove, fork, inspect]

