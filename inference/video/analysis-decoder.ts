import { rgbStride, unpadRgb } from '../../capture/frame-wire.js';
import type { AnalysisFrame } from '../../capture/index.js';
import { EL, sourceLaunch } from '../../capture/pipeline/build.js';
import type { H264Decoder, PipelinePlan } from '../../capture/pipeline/plan.js';
import { type GstAppSink, gstModule } from '../../capture/worker/gst.js';

export interface DecodeOptions {
  path: string;
  source: string;
  width: number;
  height: number;
  fps: number;
  /** H.264 decoder element; the live path picks it with capture's chooseDecoder. */
  decoder?: H264Decoder;
  /** Timestamp of the first frame; frame n is at startMs + n * 1000 / fps. */
  startMs?: number;
}

export class DecodeError extends Error {
  constructor(
    readonly code: 'DECODE_FAILED',
    message: string,
  ) {
    super(message);
  }
}

/**
 * The capture pipeline of a non-realtime file source (capture's own sourceLaunch, without
 * recording): decode → videorate → videoscale → videoconvert → RGB appsink. Replay, training
 * and the bench read frames through it, so they see exactly the live analysis pixels.
 */
export function analysisLaunch(o: DecodeOptions): string {
  const plan: PipelinePlan = {
    source: o.source,
    input: { kind: 'file', path: o.path, realtime: false, loop: false },
    decoder: o.decoder ?? 'avdec_h264',
    analysis: { width: o.width, height: o.height, fps: o.fps },
    recording: null,
    framePipeMaxFrames: 2,
    statusIntervalMs: 1000,
  };
  return sourceLaunch(plan, `${o.source}-analysis`, 'appsink');
}

/**
 * Decodes a video file into analysis frames. Pulls one frame at a time (the consumer's
 * await is the back-pressure), so nothing is dropped: this is the offline path.
 */
export async function* decodeAnalysisFrames(o: DecodeOptions): AsyncGenerator<AnalysisFrame> {
  const pipeline = new (gstModule().Pipeline)(analysisLaunch(o));
  const sink = pipeline.findChild(EL.frames) as GstAppSink;
  let busError: string | undefined;
  pipeline.pollBus((msg) => {
    if (msg.type === 'error') busError = String(msg.message ?? msg.debug ?? 'pipeline error');
  });
  pipeline.play();
  const startMs = o.startMs ?? 0;
  try {
    for (let seq = 0; ; seq++) {
      const buf = await new Promise<Buffer | null>((resolve) => sink.pull((b) => resolve(b)));
      if (!buf) break;
      const raw = new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
      // The frame owns its pixels (the binding's buffer is not ours to keep).
      const data = rgbStride(o.width) === o.width * 3 ? raw.slice() : unpadRgb(raw, o.width, o.height);
      yield {
        source: o.source,
        seq,
        tsMs: startMs + (seq * 1000) / o.fps,
        width: o.width,
        height: o.height,
        data,
      };
    }
    // Let the bus poller report an error that ended the stream.
    await new Promise((r) => setTimeout(r, 20));
    if (busError) throw new DecodeError('DECODE_FAILED', `decoding ${o.path} failed: ${busError}`);
  } finally {
    pipeline.stop();
  }
}
