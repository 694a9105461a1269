/**
 * Pure: the producer's (epoch, seq) bookkeeping (PROTOCOL §5.2.1). Seqs
 * count batches from 0 in each epoch; an epoch changes on restart() and on
 * auto-claim, always upwards and past any epoch that fenced us.
 */
export class Sequencer {
  private _epochValue: number
  private _nextSeqValue = 0
  /** A batch of this epoch was acknowledged: the server knows the epoch, so later seqs may pipeline. */
  private _confirmed = false
  /** The server stored (200) a batch of this epoch: its producer state there is ours. */
  private _stored = false
  /** Highest epoch a 403 or an epoch in use named (without autoClaim); restart() moves past it. */
  private _fencedBy: number | undefined
  /** Auto-claim in progress: the highest epoch to move past once every request of the old one is back. */
  private _claimEpoch: number | undefined

  constructor(epoch: number) {
    this._epochValue = epoch
  }

  get epoch(): number {
    return this._epochValue
  }

  get nextSeq(): number {
    return this._nextSeqValue
  }

  /** True once this instance has had a batch stored (200) in the current epoch. */
  get storedInEpoch(): boolean {
    return this._stored
  }

  /** An auto-claim waits for the requests of the old epoch; nothing new may be sent. */
  get claiming(): boolean {
    return this._claimEpoch !== undefined
  }

  /** Batches allowed in flight: the first batch of an epoch goes alone, so later seqs cannot race its bootstrap. */
  window(maxInFlight: number): number {
    return this._confirmed ? maxInFlight : 1
  }

  /** The next tuple; a new tuple has had nothing sent under it yet. */
  assign(batch: { epoch: number; seq: number; mayBeStored: boolean }): void {
    batch.epoch = this._epochValue
    batch.seq = this._nextSeqValue++
    batch.mayBeStored = false
  }

  /** Continues an epoch an earlier instance used (a durable outbox): seqs go on after its last. */
  resume(epoch: number, nextSeq: number): void {
    this._epochValue = epoch
    this._nextSeqValue = nextSeq
  }

  /** Seqs from `seq` on were not stored (a 413): they are handed out again, in order. */
  rewind(seq: number): void {
    this._nextSeqValue = Math.min(this._nextSeqValue, seq)
  }

  /** A batch sent under `epoch` was acknowledged; `status` 200 means it was stored just now. */
  acknowledged(epoch: number, status: number): void {
    if (epoch !== this._epochValue) return
    this._confirmed = true
    if (status === 200) this._stored = true
  }

  /** The server named a newer (or our own, taken) epoch and we will not claim it. */
  fence(epoch: number): void {
    this._fencedBy = Math.max(this._fencedBy ?? epoch, epoch)
  }

  /** Auto-claim: remember to move past `epoch`. */
  claim(epoch: number): void {
    this._claimEpoch = Math.max(this._claimEpoch ?? epoch, epoch)
  }

  /** Moves past the claimed epoch (and past our own). */
  finishClaim(): void {
    this._epochValue = Math.max((this._claimEpoch ?? this._epochValue) + 1, this._epochValue + 1)
    this._claimEpoch = undefined
    this._startEpoch()
  }

  /** Drops a claim in progress (the producer failed). */
  abandonClaim(): void {
    this._claimEpoch = undefined
  }

  /** restart(): the next epoch past ours and any that fenced us. */
  restart(): void {
    this._epochValue = Math.max(this._epochValue, this._fencedBy ?? -1) + 1
    this._fencedBy = undefined
    this._startEpoch()
  }

  private _startEpoch(): void {
    this._nextSeqValue = 0
    this._confirmed = false
    this._stored = false
  }
}
