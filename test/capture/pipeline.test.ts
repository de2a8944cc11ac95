import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { restartDelayMs } from '../../capture/backoff.js';
import { FrameHub } from '../../capture/frame-hub.js';
import { FrameClock, openFrameStream } from '../../capture/frame-wire.js';
import {
  chooseDecoder,
  chooseEncoder,
  DECODERS,
  discoverHardware,
  ENCODERS,
  type Hardware,
} from '../../capture/hardware.js';
import { copyRecordLaunch, encodeRecordLaunch, sourceLaunch } from '../../capture/pipeline/build.js';
import { PipelineValueError, quote } from '../../capture/pipeline/escape.js';
import type { PipelinePlan } from '../../capture/pipeline/plan.js';
import { planSource } from '../../capture/plan-from-config.js';
import type { AnalysisFrame } from '../../capture/types.js';
import { loadConfig } from '../../config/index.js';
import { ROOT } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { h264File } from './fixtures.js';

function plan(input: PipelinePlan['input'], recording: PipelinePlan['recording'] = null): PipelinePlan {
  return {
    source: 's',
    input,
    decoder: 'avdec_h264',
    analysis: { width: 64, height: 48, fps: 5 },
    recording,
    framePipeMaxFrames: 2,
    statusIntervalMs: 1000,
  };
}
const REC = {
  mode: 'encode',
  encoder: 'x264enc',
  bitrateKbps: 1000,
  keyframeIntervalS: 1,
  x264Preset: 'ultrafast',
  chunkDurationS: 2,
  queueMaxBuffers: 30,
  retryMs: 1000,
} as const;

describe('pipeline strings', () => {
  it('a file path with quotes, spaces and ! stays one value: GStreamer opens exactly that file', async () => {
    const dir = tempDir();
    const src = await h264File({ width: 160, height: 120, fps: 10, seconds: 1 });
    const evil = join(dir, 'a "b" ! fakesink name=x \\ c.mp4');
    writeFileSync(evil, spawnSync('cat', [src]).stdout);
    const launch = sourceLaunch(
      plan({ kind: 'file', path: evil, realtime: false, loop: false }),
      'ch',
    ).replace(/fdsink name=frames [^!]*$/, 'fakesink');
    // Parsed exactly as the source process parses it (gst_parse_launch via gstreamer-superficial).
    const r = spawnSync(process.execPath, ['-e', PLAY_TO_EOS], {
      encoding: 'utf8',
      timeout: 30_000,
      env: { ...process.env, LAUNCH: launch },
      cwd: ROOT,
    });
    expect(r.stdout.trim()).toBe('eos');
    expect(r.status).toBe(0);
  });

  it('refuses control characters and out-of-range numbers instead of building a pipeline', () => {
    expect(() => quote('path', 'a\nb')).toThrow(PipelineValueError);
    expect(() => sourceLaunch(plan({ kind: 'testsrc', width: 10_000_000, height: 10, fps: 5 }), 'c')).toThrow(
      /width/,
    );
    expect(() =>
      sourceLaunch(
        plan({
          kind: 'rtsp',
          url: 'rtsp://h/x" ! filesink location=/etc/passwd',
          protocol: 'tcp',
          latencyMs: 0,
        }),
        'c',
      ),
    ).toThrow();
    expect(() =>
      encodeRecordLaunch(
        plan({ kind: 'testsrc', width: 64, height: 48, fps: 5 }, REC),
        'c',
        { format: 'I420', width: 64, height: 48, framerate: '5/1' },
        '/tmp/a%d',
        'p',
      ),
    ).toThrow(/%/);
  });

  it('rate-limits analysis frames before scaling and colour conversion', () => {
    const s = sourceLaunch(plan({ kind: 'testsrc', width: 640, height: 360, fps: 25 }), 'c');
    const rate = s.indexOf('videorate');
    expect(rate).toBeGreaterThan(0);
    expect(rate).toBeLessThan(s.indexOf('videoscale'));
    expect(s.indexOf('videoscale')).toBeLessThan(s.indexOf('videoconvert'));
  });

  it('rtsp credentials are properties of rtspsrc, escaped; stream copy never re-encodes', () => {
    const p = plan(
      {
        kind: 'rtsp',
        url: 'rtsp://cam/stream',
        protocol: 'tcp',
        latencyMs: 100,
        username: 'op',
        password: 'p"w\\d',
      },
      { ...REC, mode: 'copy' },
    );
    expect(sourceLaunch(p, 'c')).toContain('user-pw="p\\"w\\\\d"');
    const rec = copyRecordLaunch(p, '/tmp/rec', '123');
    expect(rec).not.toMatch(/x264enc|nvh264enc|vah264enc|avdec/);
    expect(rec).toContain('rtph264depay ! h264parse');
  });
});

const PLAY_TO_EOS = `
const { Pipeline } = require('gstreamer-superficial');
const p = new Pipeline(process.env.LAUNCH);
p.pollBus((m) => {
  if (m.type === 'eos' || m.type === 'error') { console.log(m.type === 'eos' ? 'eos' : m.message); p.stop(); process.exit(m.type === 'eos' ? 0 : 1); }
});
p.play();
`;

describe('source kinds from config', () => {
  const c = loadConfig({}).capture;
  const codecs = { encoder: 'x264enc', decoder: 'avdec_h264' } as const;

  it('v4l2 caps become a capsfilter, and GStreamer parses the pipeline (no capture card on a test box to play it)', () => {
    const p = planSource(
      {
        name: 'card',
        kind: 'v4l2',
        role: 'endoscope',
        enabled: true,
        device: '/dev/video0',
        width: 1920,
        height: 1080,
        fps: 60,
        format: 'YUY2',
      },
      c,
      codecs,
    );
    const launch = sourceLaunch(p, 'c');
    expect(
      launch.startsWith(
        'v4l2src device="/dev/video0" ! video/x-raw,format=YUY2,width=1920,height=1080,framerate=60/1 ! tee',
      ),
    ).toBe(true);
    const mjpg = sourceLaunch(
      planSource(
        { name: 'card', kind: 'v4l2', role: 'room', enabled: true, format: 'MJPG', width: 1280, height: 720 },
        c,
        codecs,
      ),
      'c',
    );
    expect(mjpg).toContain('image/jpeg,width=1280,height=720 ! jpegdec');
    for (const l of [launch, mjpg]) {
      const r = spawnSync(
        process.execPath,
        ['-e', "new (require('gstreamer-superficial').Pipeline)(process.env.LAUNCH); console.log('parsed')"],
        {
          encoding: 'utf8',
          env: { ...process.env, LAUNCH: l },
          cwd: ROOT,
        },
      );
      expect(r.stdout.trim()).toBe('parsed');
    }
  });

  it('sim plays the generated video when it has a path (real time, looped), else a moving test pattern', () => {
    expect(
      planSource({ name: 's', kind: 'sim', role: 'endoscope', enabled: true, path: '/v.mp4' }, c, codecs)
        .input,
    ).toEqual({
      kind: 'file',
      path: '/v.mp4',
      realtime: true,
      loop: true,
    });
    expect(
      planSource({ name: 's', kind: 'sim', role: 'endoscope', enabled: true }, c, codecs).input,
    ).toMatchObject({ kind: 'testsrc' });
    expect(
      planSource({ name: 'r', kind: 'rtsp', role: 'room', enabled: true, url: 'rtsp://cam/x' }, c, codecs)
        .recording?.mode,
    ).toBe('copy');
    expect(() => planSource({ name: 'f', kind: 'file', role: 'room', enabled: true }, c, codecs)).toThrow(
      /needs path/,
    );
  });
});

describe('codec choice', () => {
  const hw = (elements: string[]): Hardware => ({
    elements: new Set(elements),
    encoders: ENCODERS.filter((e) => elements.includes(e.element)).map((e) => e.element),
    decoders: DECODERS.filter((e) => elements.includes(e.element)).map((e) => e.element),
  });

  it('auto prefers hardware, a configured codec overrides, a missing one falls back with a warning', () => {
    expect(chooseEncoder('auto', hw(['x264enc', 'nvh264enc', 'vah264enc']))).toEqual({
      element: 'nvh264enc',
    });
    expect(chooseEncoder('auto', hw(['x264enc', 'vah264enc']))).toEqual({ element: 'vah264enc' });
    expect(chooseEncoder('x264enc', hw(['x264enc', 'nvh264enc']))).toEqual({ element: 'x264enc' });
    expect(chooseDecoder('auto', hw(['avdec_h264']))).toEqual({ element: 'avdec_h264' });
    const missing = chooseEncoder('nvh264enc', hw(['x264enc']));
    expect(missing.element).toBe('x264enc');
    expect(missing.warning).toContain('capture.encoder nvh264enc is not installed');
  });

  it('reads the real registry', async () => {
    const found = await discoverHardware();
    expect(found.elements.has('videoconvert')).toBe(true);
    expect(found.encoders).toContain('x264enc');
    expect(found.decoders).toContain('avdec_h264');
  });
});

describe('restart back-off', () => {
  it('doubles from the minimum, adds bounded jitter, never exceeds the maximum', () => {
    const o = { minMs: 500, maxMs: 10_000, jitterRatio: 0.2 };
    expect(restartDelayMs(0, o, () => 0)).toBe(500);
    expect(restartDelayMs(1, o, () => 0)).toBe(1000);
    expect(restartDelayMs(3, o, () => 0)).toBe(4000);
    expect(restartDelayMs(3, o, () => 1)).toBe(4800);
    for (let a = 0; a < 50; a++) expect(restartDelayMs(a, o, Math.random)).toBeLessThanOrEqual(10_000);
  });
});

describe('frame stream', () => {
  const writeAll = async (end: import('node:net').Socket, bytes: Buffer, piece: number) => {
    for (let i = 0; i < bytes.length; i += piece) end.write(bytes.subarray(i, i + piece));
    await new Promise<void>((r) => end.end(r));
  };

  it('delivers whole frames in order from writes of any size, each in its own buffer', async () => {
    const got: Uint8Array[] = [];
    const s = await openFrameStream(20, 5, (d) => got.push(d)); // 60-byte rows: no padding
    const ended = new Promise((r) => s.reader.once('end', r));
    const frames = [1, 2, 3].map((v) => Buffer.alloc(300, v));
    await writeAll(s.childEnd, Buffer.concat(frames), 7);
    await ended;
    s.reader.destroy();
    expect(got.map((f) => [f[0], f[299], f.byteLength, f.byteOffset, f.buffer.byteLength])).toEqual([
      [1, 1, 300, 0, 300],
      [2, 2, 300, 0, 300],
      [3, 3, 300, 0, 300],
    ]);
  });

  it('strips the row padding GStreamer adds to RGB rows of a width that is not a multiple of 4', async () => {
    const got: Uint8Array[] = [];
    const s = await openFrameStream(5, 2, (d) => got.push(d)); // 15 bytes a row, 16 on the wire
    const ended = new Promise((r) => s.reader.once('end', r));
    const wire = Buffer.alloc(32, 0xee);
    for (let i = 0; i < 15; i++) {
      wire[i] = i;
      wire[16 + i] = 100 + i;
    }
    await writeAll(s.childEnd, wire, 5);
    await ended;
    s.reader.destroy();
    expect(got).toHaveLength(1);
    expect([...got[0]!]).toEqual([
      ...Array.from({ length: 15 }, (_, i) => i),
      ...Array.from({ length: 15 }, (_, i) => 100 + i),
    ]);
  });

  it('stamps media time for a file played as fast as possible, arrival time otherwise; always increasing', () => {
    const media = new FrameClock(5);
    const t0 = media.stamp(0);
    expect(media.stamp(1)).toBe(t0 + 200);
    expect(media.stamp(10)).toBe(t0 + 2000);
    const live = new FrameClock(null);
    const a = live.stamp(0);
    const b = live.stamp(1);
    const c = live.stamp(2);
    expect(Math.abs(a - Date.now())).toBeLessThan(1000);
    expect(b).toBeGreaterThan(a);
    expect(c).toBeGreaterThan(b);
  });
});

describe('frame hub', () => {
  const frame = (seq: number): AnalysisFrame => ({
    source: 's',
    seq,
    tsMs: seq,
    width: 1,
    height: 1,
    data: new Uint8Array(3),
  });

  it('a busy consumer gets the newest frame when it is done; the ones in between are dropped and counted', async () => {
    const hub = new FrameHub(() => {});
    const slow: number[] = [];
    const fast: number[] = [];
    let release: () => void = () => {};
    hub.subscribe((f) => {
      slow.push(f.seq);
      return new Promise<void>((r) => {
        release = r;
      });
    });
    hub.subscribe((f) => {
      fast.push(f.seq);
    });
    for (let i = 0; i < 10; i++) hub.publish(frame(i));
    expect(hub.pendingCount).toBe(1);
    release();
    await new Promise((r) => setTimeout(r, 0));
    expect(slow).toEqual([0, 9]);
    expect(fast).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(hub.droppedFor('s')).toBe(8);
  });

  it('gives each consumer its own copy of the pixels, and survives a throwing consumer', () => {
    const errors: unknown[] = [];
    const hub = new FrameHub((e) => errors.push(e));
    const seen: Uint8Array[] = [];
    hub.subscribe(() => {
      throw new Error('boom');
    });
    hub.subscribe((f) => {
      seen.push(f.data);
    });
    const f = frame(1);
    hub.publish(f);
    expect(errors).toHaveLength(1);
    expect(seen[0]).not.toBe(f.data);
    expect(seen[0]!.buffer).not.toBe(f.data.buffer);
  });
});
