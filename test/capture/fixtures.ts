import { execFile, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, renameSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);
const CACHE = join(tmpdir(), 'orsight-capture-fixtures');

/**
 * A generated H.264 MP4 (moving test pattern), cached in /tmp across runs because encoding
 * 1080p costs a few CPU seconds on a 2-core box.
 */
export async function h264File(o: {
  width: number;
  height: number;
  fps: number;
  seconds: number;
}): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const file = join(CACHE, `ball-${o.width}x${o.height}-${o.fps}fps-${o.seconds}s.mp4`);
  if (existsSync(file)) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  await run('gst-launch-1.0', [
    '-q',
    'videotestsrc',
    `num-buffers=${o.fps * o.seconds}`,
    'pattern=ball',
    '!',
    `video/x-raw,format=I420,width=${o.width},height=${o.height},framerate=${o.fps}/1`,
    '!',
    'x264enc',
    'speed-preset=ultrafast',
    `key-int-max=${o.fps}`,
    '!',
    'h264parse',
    '!',
    'mp4mux',
    '!',
    'filesink',
    `location=${tmp}`,
  ]);
  renameSync(tmp, file);
  return file;
}

/** A short MP4 holding MJPEG video: a real file that the H.264-only file source cannot play. */
export async function mjpegFile(): Promise<string> {
  mkdirSync(CACHE, { recursive: true });
  const file = join(CACHE, 'mjpeg-320x240.mp4');
  if (existsSync(file)) return file;
  const tmp = `${file}.${process.pid}.tmp`;
  await run('gst-launch-1.0', [
    '-q',
    'videotestsrc',
    'num-buffers=30',
    '!',
    'video/x-raw,width=320,height=240',
    '!',
    'jpegenc',
    '!',
    'qtmux',
    '!',
    'filesink',
    `location=${tmp}`,
  ]);
  renameSync(tmp, file);
  return file;
}

/** Duration in ms of a media file, as gst-discoverer-1.0 reads it (throws if unplayable). */
export function discoverDurationMs(file: string): number {
  const r = spawnSync('gst-discoverer-1.0', [file], { encoding: 'utf8', timeout: 30_000 });
  const m = /Duration: (\d+):(\d+):(\d+)\.(\d+)/.exec(r.stdout);
  if (r.status !== 0 || !m || !r.stdout.includes('video')) {
    throw new Error(`gst-discoverer-1.0 cannot read ${file}: ${r.stdout}${r.stderr}`);
  }
  const [, h, min, s, frac] = m;
  return (Number(h) * 3600 + Number(min) * 60 + Number(s)) * 1000 + Number(`0.${frac}`) * 1000;
}
