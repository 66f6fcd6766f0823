// A deadline that every sign of life pushes back: fires once when nothing happened for
// `ms`. Used to notice a stream that stopped delivering without closing (a half-open TCP
// connection sends no error; only silence).

export class IdleTimer {
  private timer: NodeJS.Timeout | undefined;
  private last = Date.now();
  private expired = false;

  /** Starts counting now; `ms` <= 0 never fires. */
  constructor(
    private readonly ms: number,
    private readonly onIdle: (silentMs: number) => void,
  ) {
    this.touch();
  }

  /** Something arrived: the silence starts again from now. */
  touch(): void {
    if (this.expired || this.ms <= 0) return;
    this.last = Date.now();
    clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.expired = true;
      this.onIdle(Date.now() - this.last);
    }, this.ms);
  }

  /** True once it fired. */
  get fired(): boolean {
    return this.expired;
  }

  stop(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
  }
}
