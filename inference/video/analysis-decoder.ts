import { rgbStride, unpadRgb } from '../../capture/frame-wire.js';
import type { AnalysisFrame } from '../../capture/index.js';
import { EL, sourceLaunch } from '../../capture/pipeline/build.js';
import type { H264Decoder, PipelinePlan } from '../../capture/pipeline/plan.js';
import { type GstAppSink, parsePipeline } from '../../capture/worker/gst.js';

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
  /** How long a pull may wait for a frame before the decode is declared stalled. */
  stallTimeoutMs?: number;
}

const DEFAULT_STALL_TIMEOUT_MS = 30_000;
/** After the last frame, how long to wait for the bus to say EOS or error. */
const END_MESSAGE_WAIT_MS = 1_000;

export class DecodeError extends Error {
  constructor(
    readonly code: 'DECODE_FAILED' | 'DECODE_STALLED',
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
 *
 * An error upstream (a truncated or corrupt file, say) never reaches the appsink as EOS, so
 * a pull would wait for good: the bus handler stops the pipeline, which ends the pull, and
 * the generator throws DECODE_FAILED with GStreamer's message. A pull that waits longer than
 * stallTimeoutMs without either (a GStreamer bug, a hung element) ends the same way, with
 * DECODE_STALLED.
 */
export async function* decodeAnalysisFrames(o: DecodeOptions): AsyncGenerator<AnalysisFrame> {
  const pipeline = parsePipeline(analysisLaunch(o));
  const sink = pipeline.findChild(EL.frames) as GstAppSink;
  const stallTimeoutMs = o.stallTimeoutMs ?? DEFAULT_STALL_TIMEOUT_MS;
  let failure: DecodeError | undefined;
  let eos = false;
  let onEnd: (() => void) | undefined;
  pipeline.pollBus((msg) => {
    if (msg.type === 'error' && !failure) {
      failure = new DecodeError(
        'DECODE_FAILED',
        `decoding ${o.path} failed: ${String(msg.message ?? msg.debug ?? 'pipeline error')}`,
      );
      pipeline.stop();
    } else if (msg.type === 'eos') eos = true;
    else return;
    onEnd?.();
  });
  pipeline.play();
  const startMs = o.startMs ?? 0;
  try {
    for (let seq = 0; ; seq++) {
      const buf = await new Promise<Buffer | null>((resolve) => {
        const watchdog = setTimeout(() => {
          failure ??= new DecodeError(
            'DECODE_STALLED',
            `decoding ${o.path} stalled: no frame, end of stream or error for ${stallTimeoutMs} ms`,
          );
          pipeline.stop();
        }, stallTimeoutMs);
        sink.pull((b) => {
          clearTimeout(watchdog);
          resolve(b);
        });
      });
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
    // The appsink returned no sample: end of stream, or the pipeline was stopped. The bus
    // message saying which may still be on its way; wait for it, briefly.
    if (!failure && !eos) {
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, END_MESSAGE_WAIT_MS);
        onEnd = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    if (failure) throw failure;
  } finally {
    // Going to NULL again after an error or a stall is a no-op for GStreamer.
    pipeline.stop();
  }
}
