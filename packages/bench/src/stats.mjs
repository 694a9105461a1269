export function median(values) {
  return percentile(values, 50)
}

export function percentile(values, p) {
  if (values.length === 0) return NaN
  const sorted = [...values].sort((a, b) => a - b)
  const rank = (p / 100) * (sorted.length - 1)
  const low = Math.floor(rank)
  const high = Math.ceil(rank)
  return sorted[low] + (sorted[high] - sorted[low]) * (rank - low)
}

/** Wall time and client CPU time of one run. */
export async function measure(run) {
  const cpu = process.cpuUsage()
  const start = performance.now()
  const result = await run()
  const wallMs = performance.now() - start
  const used = process.cpuUsage(cpu)
  return { wallMs, cpuMs: (used.user + used.system) / 1000, result }
}

export function settleHeap() {
  if (typeof globalThis.gc !== "function") throw new Error("run node with --expose-gc")
  for (let i = 0; i < 3; i++) globalThis.gc()
  return process.memoryUsage().heapUsed
}

/**
 * Per other contender: the median, over the rounds both ran, of ours ÷ theirs
 * in that round (`byContender`: contender → Map of round → value). A round
 * runs the contenders back to back, so what drifts during a run (a process
 * that slows as it ages, a machine that is busier for a while) cancels out
 * of each round's ratio; the quotient of two medians taken from different
 * rounds keeps it.
 */
export function pairedRatios(byContender) {
  const ours = byContender.ours
  if (!ours) return undefined
  const paired = {}
  for (const [other, theirs] of Object.entries(byContender)) {
    if (other === "ours") continue
    const ratios = [...ours].filter(([round, value]) => value > 0 && theirs.get(round) > 0).map(([round, value]) => value / theirs.get(round))
    if (ratios.length > 0) paired[other] = median(ratios)
  }
  return paired
}
