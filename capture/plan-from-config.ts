import { cpus } from 'node:os';
import type { Config, SourceConfig } from '../config/index.js';
import type { H264Decoder, H264Encoder, InputPlan, PipelinePlan, X264Preset } from './pipeline/plan.js';

export class SourceConfigError extends Error {
  readonly code = 'SOURCE_CONFIG_INVALID';
}

/** The default sim source of demo mode when no sources are configured. */
export const DEMO_SIM_SOURCE: SourceConfig = {
  name: 'endoscope',
  kind: 'sim',
  role: 'endoscope',
  enabled: true,
};

function input(src: SourceConfig, c: Config['capture']): InputPlan {
  switch (src.kind) {
    case 'sim':
      return src.path
        ? { kind: 'file', path: src.path, realtime: true, loop: src.loop ?? true }
        : {
            kind: 'testsrc',
            width: src.width ?? c.sim_width,
            height: src.height ?? c.sim_height,
            fps: src.fps ?? c.sim_fps,
          };
    case 'file':
      if (!src.path) throw new SourceConfigError(`source ${src.name}: kind file needs path`);
      return { kind: 'file', path: src.path, realtime: src.realtime ?? true, loop: src.loop ?? false };
    case 'rtsp':
      if (!src.url) throw new SourceConfigError(`source ${src.name}: kind rtsp needs url`);
      return {
        kind: 'rtsp',
        url: src.url,
        protocol: src.protocol ?? 'tcp',
        latencyMs: src.latency_ms ?? 200,
        ...(src.username !== undefined ? { username: src.username } : {}),
        ...(src.password !== undefined ? { password: src.password } : {}),
      };
    case 'v4l2':
      return {
        kind: 'v4l2',
        device: src.device ?? '/dev/video0',
        ...(src.width !== undefined ? { width: src.width } : {}),
        ...(src.height !== undefined ? { height: src.height } : {}),
        ...(src.fps !== undefined ? { fps: src.fps } : {}),
        ...(src.format !== undefined ? { format: src.format } : {}),
      };
  }
}

export function x264Preset(pref: Config['capture']['x264_speed_preset'], cores = cpus().length): X264Preset {
  if (pref !== 'auto') return pref;
  return cores <= 4 ? 'ultrafast' : 'superfast';
}

/** The typed pipeline description of one configured source. Throws SourceConfigError. */
export function planSource(
  src: SourceConfig,
  c: Config['capture'],
  codecs: { encoder: H264Encoder; decoder: H264Decoder },
): PipelinePlan {
  const inp = input(src, c);
  return {
    source: src.name,
    input: inp,
    decoder: codecs.decoder,
    analysis: { width: c.analysis_width, height: c.analysis_height, fps: c.analysis_fps },
    recording: c.record
      ? {
          mode: inp.kind === 'rtsp' ? 'copy' : 'encode',
          encoder: codecs.encoder,
          bitrateKbps: c.bitrate_kbps,
          keyframeIntervalS: c.keyframe_interval_s,
          x264Preset: x264Preset(c.x264_speed_preset),
          chunkDurationS: c.chunk_duration_s,
          queueMaxBuffers: c.record_queue_max_buffers,
          retryMs: c.record_retry_ms,
        }
      : null,
    framePipeMaxFrames: c.frame_pipe_max_frames,
    statusIntervalMs: c.status_interval_ms,
  };
}
