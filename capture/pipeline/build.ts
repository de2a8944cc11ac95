import { capsToken, int, locationPattern, quote, word } from './escape.js';
import { type InputPlan, isLive, isPaced, type PipelinePlan, type RecordingPlan } from './plan.js';

/** Names of the elements the source process looks up. */
export const EL = {
  frames: 'frames',
  rate: 'rate',
  queue: 'aqueue',
  rawOut: 'rawout',
  mux: 'mux',
  recParse: 'recparse',
} as const;

const DECODERS = ['avdec_h264', 'nvh264dec', 'vah264dec'] as const;
const ENCODERS = ['x264enc', 'nvh264enc', 'vah264enc'] as const;
const PRESETS = ['ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium'] as const;

/** Raw caps read from the live source, used to fix the recording pipeline's input caps. */
export interface RawCaps {
  format: string;
  width: number;
  height: number;
  framerate: string;
}

function inputChain(input: InputPlan, decoder: string): string {
  switch (input.kind) {
    case 'testsrc':
      return (
        'videotestsrc is-live=true pattern=ball ! ' +
        `video/x-raw,width=${int('width', input.width, 16, 7680)},height=${int('height', input.height, 16, 4320)},` +
        `framerate=${int('fps', input.fps, 1, 240)}/1`
      );
    case 'v4l2': {
      const dims = [
        input.width !== undefined ? `width=${int('width', input.width, 16, 7680)}` : '',
        input.height !== undefined ? `height=${int('height', input.height, 16, 4320)}` : '',
        input.fps !== undefined ? `framerate=${int('fps', input.fps, 1, 240)}/1` : '',
      ].filter(Boolean);
      const src = `v4l2src device=${quote('v4l2 device', input.device)}`;
      if (input.format === 'MJPG') return `${src} ! ${['image/jpeg', ...dims].join(',')} ! jpegdec`;
      const fmt = input.format ? [`format=${word('format', input.format, ['YUY2', 'NV12'] as const)}`] : [];
      const caps = ['video/x-raw', ...fmt, ...dims];
      return caps.length > 1 ? `${src} ! ${caps.join(',')}` : src;
    }
    case 'rtsp':
      return `${rtspSrc(input)} ! rtph264depay ! h264parse ! ${decoder}`;
    case 'file': {
      const demux = /\.(mkv|webm)$/i.test(input.path) ? 'matroskademux' : 'qtdemux';
      return `filesrc location=${quote('file path', input.path)} ! ${demux} ! h264parse ! ${decoder}`;
    }
  }
}

function rtspSrc(input: Extract<InputPlan, { kind: 'rtsp' }>): string {
  if (!/^rtsps?:\/\/[^\s"'!]+$/.test(input.url)) throw new Error('rtsp url is not a plain rtsp:// URL');
  const parts = [
    `rtspsrc location=${quote('rtsp url', input.url)}`,
    `protocols=${word('rtsp protocol', input.protocol, ['tcp', 'udp'] as const)}`,
    `latency=${int('rtsp latency_ms', input.latencyMs, 0, 10000)}`,
  ];
  if (input.username !== undefined) parts.push(`user-id=${quote('rtsp username', input.username)}`);
  if (input.password !== undefined) parts.push(`user-pw=${quote('rtsp password', input.password)}`);
  return parts.join(' ');
}

/** Where the analysis frames go: fd 4 of the source process (the daemon's frame stream), or an
 * appsink for a reader in the same process (offline decoding: replay, training). */
export type FrameSink = 'fd' | 'appsink';

/**
 * The source pipeline: input → decode → tee → analysis branch (rate-limited BEFORE scaling
 * and colour conversion, so dropped frames cost nothing) → RGB frames written by fdsink to the
 * daemon's frame stream; and, when the recording re-encodes, a leaky branch to an
 * intervideosink from which the separate recording pipeline reads. Analysis can never stall
 * recording: both branches sit behind leaky queues on live inputs.
 */
export function sourceLaunch(plan: PipelinePlan, channel: string, frames: FrameSink = 'fd'): string {
  const decoder = word('decoder', plan.decoder, DECODERS);
  const paced = isPaced(plan.input);
  // A realtime file is paced once, before the tee (identity sync=true), like a camera: the
  // sinks never wait on the clock, so a waiting branch cannot make a leaky queue drop frames.
  const pace = paced && !isLive(plan.input) ? ' ! identity sync=true' : '';
  const sync = false as boolean;
  const a = plan.analysis;
  const rate =
    a.fps === null
      ? ''
      : `videorate name=${EL.rate} drop-only=${paced ? 'true' : 'false'} ! video/x-raw,framerate=${int('analysis fps', a.fps, 1, 240)}/1 ! `;
  // Live inputs: a leaky queue after the rate limit (videorate counts every decoded frame), so
  // a daemon that is behind never holds up decoding or recording: the queue keeps the newest
  // frames and drops the older ones. A file played as fast as possible at a fixed analysis
  // rate needs no thread of its own: videorate drops the surplus right in the decoder's thread,
  // and the frame stream's back-pressure paces decoding. Unthrottled (benchmarks): a queue, so
  // scaling runs beside decoding.
  const queue = paced
    ? `queue name=${EL.queue} leaky=downstream max-size-buffers=${int('frame_pipe_max_frames', plan.framePipeMaxFrames, 1, 16)} max-size-bytes=0 max-size-time=0 ! `
    : a.fps === null
      ? `queue name=${EL.queue} max-size-buffers=2 max-size-bytes=0 max-size-time=0 ! `
      : '';
  const sink =
    frames === 'fd'
      ? `fdsink name=${EL.frames} fd=4 sync=${sync} enable-last-sample=false`
      : `appsink name=${EL.frames} sync=${sync} ${paced ? 'max-buffers=1 drop=true' : 'max-buffers=8 drop=false'} enable-last-sample=false`;
  const analysis =
    `${rate}${queue}` +
    `videoscale ! video/x-raw,width=${int('analysis width', a.width, 16, 4096)},height=${int('analysis height', a.height, 16, 4096)},pixel-aspect-ratio=1/1 ! ` +
    `videoconvert ! video/x-raw,format=RGB ! ${sink}`;
  const input = `${inputChain(plan.input, decoder)}${pace}`;
  if (plan.recording?.mode !== 'encode') return `${input} ! ${analysis}`;
  const record =
    `t. ! queue leaky=downstream max-size-buffers=${int('record queue', plan.recording.queueMaxBuffers, 2, 600)} max-size-bytes=0 max-size-time=0 ! ` +
    `intervideosink name=${EL.rawOut} channel=${quote('channel', channel)} sync=${sync}`;
  return `${input} ! tee name=t t. ! ${analysis} ${record}`;
}

function encoderChain(r: RecordingPlan, fps: number): string {
  const enc = word('encoder', r.encoder, ENCODERS);
  const kbps = int('bitrate_kbps', r.bitrateKbps, 100, 100000);
  const gop = int('keyframe interval', Math.max(1, Math.round(fps * r.keyframeIntervalS)), 1, 2400);
  switch (enc) {
    case 'x264enc':
      return `x264enc tune=zerolatency speed-preset=${word('x264 preset', r.x264Preset, PRESETS)} bitrate=${kbps} key-int-max=${gop}`;
    case 'nvh264enc':
      return `nvh264enc bitrate=${kbps} gop-size=${gop} zerolatency=true`;
    case 'vah264enc':
      return `vah264enc bitrate=${kbps} key-int-max=${gop}`;
  }
}

function splitmux(r: RecordingPlan, dir: string, prefix: string, keyframeRequests: boolean): string {
  const chunkS = Number(int('chunk_duration_s', r.chunkDurationS, 1, 3600));
  // Plain MP4 chunks, each starting at 0, so <video> seeks in them precisely. Robust muxing
  // rewrites the index at the front every second into space reserved for the chunk's length:
  // a chunk cut short by a crash or power loss stays playable up to its last second.
  const reserveS = Math.max(2 * chunkS, chunkS + 60);
  return (
    `splitmuxsink name=${EL.mux} location=${locationPattern(dir, prefix)} max-size-time=${chunkS}000000000` +
    (keyframeRequests ? ' send-keyframe-requests=true' : '') +
    ' use-robust-muxing=true async-finalize=true muxer-factory=mp4mux' +
    ` muxer-properties="properties,reserved-moov-update-period=(guint64)1000000000,reserved-max-duration=(guint64)${reserveS}000000000"`
  );
}

/** The recording pipeline for encoded recordings, fed by the source pipeline's intervideosink. */
export function encodeRecordLaunch(
  plan: PipelinePlan,
  channel: string,
  caps: RawCaps,
  dir: string,
  prefix: string,
): string {
  const r = plan.recording;
  if (r?.mode !== 'encode') throw new Error('this source does not encode its recording');
  const [num, den] = capsToken('framerate', caps.framerate).split('/').map(Number);
  const fps = num && den ? num / den : 30;
  const rawCaps =
    `video/x-raw,format=${capsToken('format', caps.format)},width=${int('width', caps.width, 1, 16384)},` +
    `height=${int('height', caps.height, 1, 16384)},framerate=${caps.framerate}`;
  // timeout: repeat the last frame rather than insert black; the source's watchdog ends the
  // recording long before an hour without frames.
  return (
    `intervideosrc channel=${quote('channel', channel)} timeout=3600000000000 ! ${rawCaps} ! ` +
    `queue leaky=downstream max-size-buffers=${int('record queue', r.queueMaxBuffers, 2, 600)} max-size-bytes=0 max-size-time=0 ! ` +
    `videoconvert ! video/x-raw,format=I420 ! ${encoderChain(r, fps)} ! h264parse name=${EL.recParse} ! ${splitmux(r, dir, prefix, true)}`
  );
}

/** The recording pipeline for RTSP H.264: its own session, the stream copied, never re-encoded. */
export function copyRecordLaunch(plan: PipelinePlan, dir: string, prefix: string): string {
  const r = plan.recording;
  if (r?.mode !== 'copy' || plan.input.kind !== 'rtsp') throw new Error('this source does not stream-copy');
  return `${rtspSrc(plan.input)} ! rtph264depay ! h264parse config-interval=-1 name=${EL.recParse} ! ${splitmux(r, dir, prefix, false)}`;
}
