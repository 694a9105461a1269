/**
 * Protocol names the CLI sends itself. The rest come from the SDK
 * (`ProtocolHeaders`); forks are not in the SDK's handle yet.
 */
export const FORK_HEADERS = Object.freeze({
  // PROTOCOL §4.2 / §5.1: a fork is a PUT to the new URL naming the source by its path.
  forkedFrom: "Stream-Forked-From",
  forkOffset: "Stream-Fork-Offset",
  forkSubOffset: "Stream-Fork-Sub-Offset",
})
