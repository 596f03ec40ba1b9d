/** Files uploading at once: FIFO tickets for `limit` slots. */
export class Slots {
  private active = 0;
  private readonly queue: { start: () => void; cancelled: boolean }[] = [];
  private readonly limit: number;

  constructor(limit: number) {
    this.limit = limit;
  }

  /** Queues `start`, called once a slot is free; the caller owns the slot until `release()`. */
  acquire(start: () => void): { cancel(): void } {
    const ticket = { start, cancelled: false };
    this.queue.push(ticket);
    this.pump();
    return {
      cancel: () => {
        ticket.cancelled = true;
      },
    };
  }

  release(): void {
    this.active--;
    this.pump();
  }

  private pump(): void {
    while (this.active < this.limit) {
      const ticket = this.queue.shift();
      if (!ticket) return;
      if (ticket.cancelled) continue;
      this.active++;
      ticket.start();
    }
  }
}
