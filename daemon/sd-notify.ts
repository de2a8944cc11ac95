import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

interface UnixDgramSocket {
  send(buf: Buffer, offset: number, length: number, path: string, cb?: (err?: Error) => void): void;
  on(event: 'error', cb: (err: Error) => void): void;
  close(): void;
}

/**
 * systemd's notify protocol (sd_notify(3)): datagrams like "READY=1" to $NOTIFY_SOCKET.
 * Silent when NOTIFY_SOCKET is unset, so the daemon runs the same outside systemd.
 */
export class SdNotify {
  private socket: UnixDgramSocket | undefined;
  private readonly path: string | undefined;

  constructor(env: NodeJS.ProcessEnv = process.env) {
    const raw = env.NOTIFY_SOCKET;
    // Abstract-namespace sockets are written with a leading '@'.
    this.path = raw ? (raw.startsWith('@') ? `\0${raw.slice(1)}` : raw) : undefined;
  }

  get enabled(): boolean {
    return this.path !== undefined;
  }

  /** Half of $WATCHDOG_USEC in ms, or undefined when the watchdog is off for this process. */
  static watchdogIntervalMs(env: NodeJS.ProcessEnv = process.env): number | undefined {
    const usec = Number(env.WATCHDOG_USEC);
    if (!Number.isFinite(usec) || usec <= 0) return undefined;
    const pid = env.WATCHDOG_PID;
    if (pid && Number(pid) !== process.pid) return undefined;
    return Math.max(1, Math.floor(usec / 2000));
  }

  send(state: string): Promise<void> {
    if (!this.path) return Promise.resolve();
    if (!this.socket) {
      const unix = require('unix-dgram') as { createSocket(type: 'unix_dgram'): UnixDgramSocket };
      this.socket = unix.createSocket('unix_dgram');
      this.socket.on('error', () => {
        /* reported through send's callback */
      });
    }
    const buf = Buffer.from(state);
    const path = this.path;
    return new Promise((resolve, reject) => {
      this.socket!.send(buf, 0, buf.length, path, (err) => (err ? reject(err) : resolve()));
    });
  }

  ready = () => this.send('READY=1');
  watchdog = () => this.send('WATCHDOG=1');
  stopping = () => this.send('STOPPING=1');
  status = (text: string) => this.send(`STATUS=${text.replace(/\n/g, ' ')}`);

  close(): void {
    this.socket?.close();
    this.socket = undefined;
  }
}
