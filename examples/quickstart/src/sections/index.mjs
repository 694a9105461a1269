// @ts-check
/**
 * The tour, in order. Each section is a module exporting `title` and
 * `run(context)`; a later layer (JSON producer, materialized state,
 * collections) adds its own file here and one line to this list.
 */
import * as bytes from "./bytes.mjs"
import * as collections from "./collections.mjs"
import * as forks from "./forks.mjs"
import * as json from "./json.mjs"
import * as state from "./state.mjs"

/**
 * @typedef {object} TourContext
 * @property {import("../narrate.mjs").Narrator} narrator
 * @property {string} serverUrl  Origin of the embedded reference server.
 * @property {(name: string) => string} streamUrl  Absolute URL for a stream name.
 */

/**
 * @typedef {object} Section
 * @property {string} title
 * @property {(context: TourContext) => Promise<void>} run
 */

/** @type {Section[]} */
export const sections = [bytes, json, state, forks, collections]
