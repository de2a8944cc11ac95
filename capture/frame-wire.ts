/**
 * The frame stream between a source process and the daemon: a Unix stream socket on which the
 * source pipeline's own `fdsink` writes each analysis frame as raw RGB, back to back (the size
 * is fixed by the analysis caps). No JavaScript runs per frame in the source process, and the
 * daemon reads each frame straight into a buffer the frame owns (so a consumer may transfer it
 * to a worker): one copy into the socket, one out of it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Bytes per row of an RGB frame as GStreamer lays it out: rows padded to 4 bytes. */
export function rgbStride(width: number): number {
  return Math.ceil((width * 3) / 4) * 4;
}

/** Rows without GStreamer's padding (a copy only when the width needs padding). */
export function unpadRgb(buf: Uint8Array, width: number, height: number): Uint8Array {
  const row = width * 3;
  const stride = rgbStride(width);
  if (stride === row) return buf;
  const out = new Uint8Array(row * height);
  for (let y = 0; y < height; y++) out.set(buf.subarray(y * stride, y * stride + row), y * row);
  return out;
}

export interface FrameStream {
  /** Goes to the source process as its fd 4 (the parent closes its copy after the fork). */
  childEnd: Socket;
  /** Reads the frames here; 'end' once the source process closed its end. */
  reader: Socket;
}

/**
 * A connected socket pair for one source process. Frames of width × height RGB arrive in
 * onFrame whole, in order, each in its own ArrayBuffer at offset 0.
 */
export async function openFrameStream(
  width: number,
  height: number,
  onFrame: (data: Uint8Array) => void,
): Promise<FrameStream> {
  const wireBytes = rgbStride(width) * height;
  let frame = Buffer.allocUnsafeSlow(wireBytes);
  let fill = 0;
  // A private directory: nobody else may connect in the moment the path exists.
  const dir = mkdtempSync(join(tmpdir(), 'orsight-frames-'));
  const server = createServer();
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(join(dir, 's'), () => resolve());
    });
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    const reader = connect({
      path: join(dir, 's'),
      onread: {
        // Each read lands in the rest of the current frame: no chunk buffers, no copy.
        buffer: () => frame.subarray(fill),
        callback: (n) => {
          fill += n;
          if (fill < wireBytes) return true;
          const done = frame;
          frame = Buffer.allocUnsafeSlow(wireBytes);
          fill = 0;
          onFrame(unpadRgb(done, width, height));
          return true;
        },
      },
    });
    await new Promise<void>((resolve, reject) => {
      reader.once('connect', resolve);
      reader.once('error', reject);
    });
    const childEnd = await accepted;
    return { childEnd, reader };
  } finally {
    server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Timestamps of one source process's frames, in whole ms since the epoch (the database stores
 * integers), strictly increasing. A file played as fast as possible at a fixed analysis rate
 * carries media time (frame n at n / fps after the first); everything else is stamped on
 * arrival, on a monotonic clock mapped to the wall clock (immune to NTP steps).
 */
export class FrameClock {
  private firstMs = 0;
  private lastMs = 0;

  /** mediaFps: the analysis rate when frames are media time, else null. */
  constructor(private readonly mediaFps: number | null) {}

  stamp(seq: number): number {
    const now = performance.timeOrigin + performance.now();
    if (seq === 0) this.firstMs = now;
    const t = this.mediaFps !== null ? this.firstMs + (seq * 1000) / this.mediaFps : now;
    const ms = Math.round(t);
    this.lastMs = ms > this.lastMs ? ms : this.lastMs + 1;
    return this.lastMs;
  }
}
