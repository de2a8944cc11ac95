/** Movie duration from an MP4's mvhd box, in ms (enough to check a clip's length). */
export function mp4DurationMs(buf: Buffer): number {
  const i = buf.indexOf('mvhd');
  if (i < 0) throw new Error('no mvhd box');
  const [timescale, duration] =
    buf[i + 4] === 1
      ? [buf.readUInt32BE(i + 24), Number(buf.readBigUInt64BE(i + 28))]
      : [buf.readUInt32BE(i + 16), buf.readUInt32BE(i + 20)];
  return (duration / timescale) * 1000;
}
