/**
 * The binary frame pipe between a source process and the daemon: a 24-byte header followed by
 * the RGB bytes. One write per frame on the child side; one copy into a frame-owned buffer on
 * the parent side (so a consumer may transfer it to a worker).
 */
export const FRAME_MAGIC = 0x4f524631; // "ORF1"
export const HEADER_BYTES = 24;

export interface WireFrame {
  seq: number;
  tsMs: number;
  width: number;
  height: number;
  data: Uint8Array;
}

export function encodeHeader(
  seq: number,
  tsMs: number,
  width: number,
  height: number,
  length: number,
): Buffer {
  const h = Buffer.allocUnsafe(HEADER_BYTES);
  h.writeUInt32LE(FRAME_MAGIC, 0);
  h.writeUInt32LE(seq >>> 0, 4);
  h.writeDoubleLE(tsMs, 8);
  h.writeUInt16LE(width, 16);
  h.writeUInt16LE(height, 18);
  h.writeUInt32LE(length, 20);
  return h;
}

export class FrameWireError extends Error {
  readonly code = 'FRAME_WIRE_CORRUPT';
}

/** Reassembles frames from pipe chunks of any size. */
export class FrameDecoder {
  private header = Buffer.alloc(HEADER_BYTES);
  private headerFill = 0;
  private current: { seq: number; tsMs: number; width: number; height: number; data: Uint8Array } | null =
    null;
  private dataFill = 0;

  constructor(
    private readonly onFrame: (f: WireFrame) => void,
    private readonly maxFrameBytes: number,
  ) {}

  push(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length) {
      if (!this.current) {
        const n = Math.min(HEADER_BYTES - this.headerFill, chunk.length - off);
        chunk.copy(this.header, this.headerFill, off, off + n);
        this.headerFill += n;
        off += n;
        if (this.headerFill < HEADER_BYTES) return;
        this.headerFill = 0;
        if (this.header.readUInt32LE(0) !== FRAME_MAGIC) throw new FrameWireError('bad frame magic');
        const length = this.header.readUInt32LE(20);
        if (length > this.maxFrameBytes) throw new FrameWireError(`frame of ${length} bytes is too large`);
        this.current = {
          seq: this.header.readUInt32LE(4),
          tsMs: this.header.readDoubleLE(8),
          width: this.header.readUInt16LE(16),
          height: this.header.readUInt16LE(18),
          // Not zero-filled (every byte is written below), not pooled: the frame owns its
          // ArrayBuffer at offset 0, so a consumer can transfer it to a worker.
          data: Buffer.allocUnsafeSlow(length),
        };
        this.dataFill = 0;
      }
      const cur = this.current;
      const n = Math.min(cur.data.length - this.dataFill, chunk.length - off);
      cur.data.set(chunk.subarray(off, off + n), this.dataFill);
      this.dataFill += n;
      off += n;
      if (this.dataFill === cur.data.length) {
        this.current = null;
        this.onFrame(cur);
      }
    }
  }
}
