/**
 * The typed description of one source's pipelines. The daemon computes it from the config and
 * the hardware it found; the source process turns it into gst-launch strings (build.ts).
 * Plain data, so it crosses the IPC channel as is.
 */
export type H264Decoder = 'avdec_h264' | 'nvh264dec' | 'vah264dec';
export type H264Encoder = 'x264enc' | 'nvh264enc' | 'vah264enc';
export type X264Preset = 'ultrafast' | 'superfast' | 'veryfast' | 'faster' | 'fast' | 'medium';

export type InputPlan =
  | { kind: 'testsrc'; width: number; height: number; fps: number }
  | {
      kind: 'v4l2';
      device: string;
      width?: number;
      height?: number;
      fps?: number;
      format?: 'YUY2' | 'NV12' | 'MJPG';
    }
  | {
      kind: 'rtsp';
      url: string;
      protocol: 'tcp' | 'udp';
      latencyMs: number;
      username?: string;
      password?: string;
    }
  | { kind: 'file'; path: string; realtime: boolean; loop: boolean };

export interface AnalysisPlan {
  width: number;
  height: number;
  /** null: every decoded frame (benchmarks). */
  fps: number | null;
}

export interface RecordingPlan {
  /** encode: raw video → H.264; copy: the H.264 elementary stream as it arrives (RTSP). */
  mode: 'encode' | 'copy';
  encoder: H264Encoder;
  bitrateKbps: number;
  keyframeIntervalS: number;
  x264Preset: X264Preset;
  chunkDurationS: number;
  queueMaxBuffers: number;
  /** Pause before a failed recording (disk, encoder, camera session) is started again. */
  retryMs: number;
}

export interface PipelinePlan {
  source: string;
  input: InputPlan;
  decoder: H264Decoder;
  analysis: AnalysisPlan;
  recording: RecordingPlan | null;
  framePipeMaxFrames: number;
  statusIntervalMs: number;
}

/** Live inputs produce frames at their own pace; a non-realtime file as fast as it can. */
export function isPaced(input: InputPlan): boolean {
  return input.kind !== 'file' || input.realtime;
}

/** Inputs that are the wall clock's own (cameras): sinks need not wait for the clock. */
export function isLive(input: InputPlan): boolean {
  return input.kind !== 'file';
}
