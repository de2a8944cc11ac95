import { open } from 'node:fs/promises';

/**
 * Duration of an MP4 from its `moov/mvhd` box, reading only the file's head. Robust muxing keeps
 * the moov at the front, rewritten every second, so this works on a chunk whose writer was
 * killed. Returns null when there is no readable moov (nothing playable in the file).
 */
export async function mp4DurationMs(path: string, headBytes = 1024 * 1024): Promise<number | null> {
  const fh = await open(path, 'r');
  try {
    const buf = Buffer.alloc(headBytes);
    const { bytesRead } = await fh.read(buf, 0, headBytes, 0);
    const moov = findBox(buf, 0, bytesRead, 'moov');
    if (!moov) return null;
    const mvhd = findBox(buf, moov.start, moov.end, 'mvhd');
    if (!mvhd) return null;
    const version = buf[mvhd.start];
    const p = mvhd.start + 4;
    const timescale = version === 1 ? buf.readUInt32BE(p + 16) : buf.readUInt32BE(p + 8);
    const duration = version === 1 ? Number(buf.readBigUInt64BE(p + 20)) : buf.readUInt32BE(p + 12);
    return timescale > 0 ? (duration * 1000) / timescale : null;
  } finally {
    await fh.close();
  }
}

/** The payload range of the first box named `type` among the boxes in [from, to). */
function findBox(buf: Buffer, from: number, to: number, type: string): { start: number; end: number } | null {
  let off = from;
  while (off + 8 <= to) {
    let size = buf.readUInt32BE(off);
    const name = buf.toString('latin1', off + 4, off + 8);
    let header = 8;
    if (size === 1 && off + 16 <= to) {
      size = Number(buf.readBigUInt64BE(off + 8));
      header = 16;
    } else if (size === 0) {
      size = to - off;
    }
    if (size < header) return null;
    if (name === type) return { start: off + header, end: Math.min(off + size, to) };
    off += size;
  }
  return null;
}
