import { isFileResponse, parseJson } from './messages.js';

export class FileTransferError extends Error {
  constructor(
    readonly reasonCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'FileTransferError';
  }
}

/**
 * Matches EMQX-style file-transfer responses (`$file-response/<clientId>`, payload naming the
 * request topic) to the requests waiting for them.
 */
export class FileResponseWaiter {
  private readonly waiting = new Map<
    string,
    Array<{ resolve: () => void; reject: (e: Error) => void; timer: NodeJS.Timeout }>
  >();

  constructor(private readonly timeoutMs: number) {}

  wait(topic: string): Promise<void> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.fail(topic, new Error(`no response to ${topic} within ${this.timeoutMs} ms`)),
        this.timeoutMs,
      );
      const list = this.waiting.get(topic) ?? [];
      list.push({ resolve, reject, timer });
      this.waiting.set(topic, list);
    });
  }

  fail(topic: string, err: Error): void {
    const list = this.waiting.get(topic);
    this.waiting.delete(topic);
    for (const w of list ?? []) {
      clearTimeout(w.timer);
      w.reject(err);
    }
  }

  /** Every waiter fails (connection lost). */
  failAll(reason: string): void {
    for (const topic of [...this.waiting.keys()]) this.fail(topic, new Error(reason));
  }

  /** Handles one response payload; returns false when it is malformed. */
  onResponse(payload: Buffer): boolean {
    const msg = parseJson(payload);
    if (!isFileResponse(msg)) return false;
    const list = this.waiting.get(msg.topic);
    if (!list) return true;
    this.waiting.delete(msg.topic);
    for (const w of list) {
      clearTimeout(w.timer);
      if (msg.reason_code === 0) w.resolve();
      else w.reject(new FileTransferError(msg.reason_code, msg.reason_description));
    }
    return true;
  }
}
