/**
 * Pure: the producer's (epoch, seq) bookkeeping (PROTOCOL §5.2.1). Seqs
 * count batches from 0 in each epoch; an epoch changes on restart() and on
 * auto-claim, always upwards and past any epoch that fenced us.
 */
export class Sequencer {
  private epochValue: number
  private nextSeqValue = 0
  /** A batch of this epoch was acknowledged: the server knows the epoch, so later seqs may pipeline. */
  private confirmed = false
  /** The server stored (200) a batch of this epoch: its producer state there is ours. */
  private stored = false
  /** Highest epoch a 403 or an epoch in use named (without autoClaim); restart() moves past it. */
  private fencedBy: number | undefined
  /** Auto-claim in progress: the highest epoch to move past once every request of the old one is back. */
  private claimEpoch: number | undefined

  constructor(epoch: number) {
    this.epochValue = epoch
  }

  get epoch(): number {
    return this.epochValue
  }

  get nextSeq(): number {
    return this.nextSeqValue
  }

  /** True once this instance has had a batch stored (200) in the current epoch. */
  get storedInEpoch(): boolean {
    return this.stored
  }

  /** An auto-claim waits for the requests of the old epoch; nothing new may be sent. */
  get claiming(): boolean {
    return this.claimEpoch !== undefined
  }

  /** Batches allowed in flight: the first batch of an epoch goes alone, so later seqs cannot race its bootstrap. */
  window(maxInFlight: number): number {
    return this.confirmed ? maxInFlight : 1
  }

  /** The next tuple; a new tuple has had nothing sent under it yet. */
  assign(batch: { epoch: number; seq: number; mayBeStored: boolean }): void {
    batch.epoch = this.epochValue
    batch.seq = this.nextSeqValue++
    batch.mayBeStored = false
  }

  /** Continues an epoch an earlier instance used (a durable outbox): seqs go on after its last. */
  resume(epoch: number, nextSeq: number): void {
    this.epochValue = epoch
    this.nextSeqValue = nextSeq
  }

  /** Seqs from `seq` on were not stored (a 413): they are handed out again, in order. */
  rewind(seq: number): void {
    this.nextSeqValue = Math.min(this.nextSeqValue, seq)
  }

  /** A batch sent under `epoch` was acknowledged; `status` 200 means it was stored just now. */
  acknowledged(epoch: number, status: number): void {
    if (epoch !== this.epochValue) return
    this.confirmed = true
    if (status === 200) this.stored = true
  }

  /** The server named a newer (or our own, taken) epoch and we will not claim it. */
  fence(epoch: number): void {
    this.fencedBy = Math.max(this.fencedBy ?? epoch, epoch)
  }

  /** Auto-claim: remember to move past `epoch`. */
  claim(epoch: number): void {
    this.claimEpoch = Math.max(this.claimEpoch ?? epoch, epoch)
  }

  /** Moves past the claimed epoch (and past our own). */
  finishClaim(): void {
    this.epochValue = Math.max((this.claimEpoch ?? this.epochValue) + 1, this.epochValue + 1)
    this.claimEpoch = undefined
    this.startEpoch()
  }

  /** Drops a claim in progress (the producer failed). */
  abandonClaim(): void {
    this.claimEpoch = undefined
  }

  /** restart(): the next epoch past ours and any that fenced us. */
  restart(): void {
    this.epochValue = Math.max(this.epochValue, this.fencedBy ?? -1) + 1
    this.fencedBy = undefined
    this.startEpoch()
  }

  private startEpoch(): void {
    this.nextSeqValue = 0
    this.confirmed = false
    this.stored = false
  }
}
