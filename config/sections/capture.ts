import { Type } from '@sinclair/typebox';
import { Bool, Enum, ID_PATTERN, Int, Num, Section } from '../schema-kit.js';

/** One camera source. `kind` selects which of the kind-specific keys apply. */
export const sourceSchema = Type.Object(
  {
    name: Type.String({ description: 'Source name, e.g. endoscope or room.', pattern: ID_PATTERN }),
    kind: Enum('Source kind.', ['v4l2', 'rtsp', 'file', 'sim'] as const, 'sim'),
    role: Enum(
      'What the source shows: the endoscope feed is analysed for phases; room cameras are recorded.',
      ['endoscope', 'room'] as const,
      'endoscope',
    ),
    enabled: Bool('Start this source.', true),
    device: Type.Optional(
      Type.String({
        description: 'v4l2: device path, e.g. /dev/video0.',
        pattern: '^/dev/[A-Za-z0-9_/.-]+$',
      }),
    ),
    url: Type.Optional(
      Type.String({
        description: 'rtsp: rtsp:// or rtsps:// URL, without credentials.',
        pattern: '^rtsps?://[^\\s"\'!]+$',
      }),
    ),
    username: Type.Optional(Type.String({ description: 'rtsp: user name.' })),
    password: Type.Optional(Type.String({ description: 'rtsp: password (or password_file).', secret: true })),
    path: Type.Optional(Type.String({ description: 'file / sim: path of the video to play.' })),
    loop: Type.Optional(Type.Boolean({ description: 'file / sim: loop at end of file.' })),
    realtime: Type.Optional(
      Type.Boolean({ description: 'file: play in real time (true) or as fast as possible.' }),
    ),
    width: Type.Optional(
      Type.Integer({ description: 'v4l2 / sim test pattern: capture width.', minimum: 16, maximum: 7680 }),
    ),
    height: Type.Optional(
      Type.Integer({ description: 'v4l2 / sim test pattern: capture height.', minimum: 16, maximum: 4320 }),
    ),
    fps: Type.Optional(
      Type.Integer({ description: 'v4l2 / sim test pattern: capture frame rate.', minimum: 1, maximum: 240 }),
    ),
    format: Type.Optional(
      Type.Unsafe<'YUY2' | 'NV12' | 'MJPG'>({
        type: 'string',
        enum: ['YUY2', 'NV12', 'MJPG'],
        description: 'v4l2: pixel format.',
      }),
    ),
    protocol: Type.Optional(
      Type.Unsafe<'tcp' | 'udp'>({ type: 'string', enum: ['tcp', 'udp'], description: 'rtsp: transport.' }),
    ),
    latency_ms: Type.Optional(
      Type.Integer({ description: 'rtsp: jitter-buffer latency.', minimum: 0, maximum: 10000 }),
    ),
  },
  { additionalProperties: false },
);

export const captureSection = Section(
  'Video capture (one GStreamer pipeline per source, each in its own process).',
  {
    sources: Type.Array(sourceSchema, {
      description: 'Camera sources. Empty in demo mode means one simulated endoscope.',
      default: [],
      maxItems: 8,
    }),
    analysis_fps: Int('Frames per second delivered to step detection.', 5, 1, 60),
    analysis_width: Int('Width of analysis frames (model input is resized from this).', 128, 16, 1024),
    analysis_height: Int('Height of analysis frames.', 128, 16, 1024),
    stall_timeout_ms: Int('No frame for this long → the source is stalled.', 3000, 500, 120000),
    lost_timeout_ms: Int(
      'No frame for this long (or a pipeline error at once) → the source is lost and its process replaced. Longer than stall_timeout_ms.',
      8000,
      1000,
      600000,
    ),
    source_recycle_rss_mb: Int(
      'Between cases, a source process holding more memory than this (resident, MB) is replaced by a fresh one, a second or two without analysis frames (gstreamer-superficial never frees a pipeline: each recording session leaves about 1.5 MB behind).',
      768,
      64,
      65536,
    ),
    restart_backoff_min_ms: Int('First restart delay after a failure.', 500, 50, 600000),
    restart_backoff_max_ms: Int('Largest restart delay.', 10000, 100, 3600000),
    record: Bool('Record sources while a case is open.', true),
    chunk_duration_s: Int('Length of recording chunks.', 10, 2, 3600),
    encoder: Enum(
      'H.264 encoder: auto picks nvh264enc when present, else x264enc.',
      ['auto', 'nvh264enc', 'x264enc', 'vah264enc'] as const,
      'auto',
    ),
    decoder: Enum(
      'H.264 decoder: auto picks a hardware decoder when present.',
      ['auto', 'nvh264dec', 'avdec_h264', 'vah264dec'] as const,
      'auto',
    ),
    bitrate_kbps: Int('Recording bitrate.', 4000, 100, 100000),
    keyframe_interval_s: Int(
      'Seconds between keyframes of encoded recordings: the review player seeks from the keyframe before the target.',
      1,
      1,
      10,
    ),
    x264_speed_preset: Enum(
      'x264enc speed preset; auto picks ultrafast on boxes with 4 cores or fewer, else superfast.',
      ['auto', 'ultrafast', 'superfast', 'veryfast', 'faster', 'fast', 'medium'] as const,
      'auto',
    ),
    sim_width: Int('sim without a video path: test-pattern width.', 640, 16, 3840),
    sim_height: Int('sim without a video path: test-pattern height.', 360, 16, 2160),
    sim_fps: Int('sim without a video path: test-pattern frame rate.', 25, 1, 60),
    status_interval_ms: Int('How often each source reports its counters (fps, drops).', 1000, 100, 60000),
    frame_pipe_max_frames: Int(
      'Analysis frames a live source holds for the daemon (a leaky queue) before it drops the oldest.',
      2,
      1,
      16,
    ),
    record_queue_max_buffers: Int(
      'Raw frames the recording branch may queue before its leaky queue drops (encoder too slow).',
      60,
      2,
      600,
    ),
    record_retry_ms: Int(
      'Pause before a recording that failed (disk, encoder, camera session) is started again.',
      2000,
      100,
      600000,
    ),
    child_stop_timeout_ms: Int(
      'How long a source process may take to close its recording and exit before it is killed.',
      4000,
      200,
      60000,
    ),
    restart_jitter_ratio: Num('Random jitter added to each restart delay, as a fraction of it.', 0.2, 0, 1),
  },
);
