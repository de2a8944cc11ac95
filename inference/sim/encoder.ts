import { spawn } from 'node:child_process';
import { once } from 'node:events';

export interface EncoderOptions {
  /** Drawn frame size (RGB). Width must be a multiple of 4 (GStreamer RGB row alignment). */
  drawWidth: number;
  drawHeight: number;
  /** Encoded video size; GStreamer scales the drawn frames to it. */
  width: number;
  height: number;
  fps: number;
  /** x264 constant quantizer (lower = better). Constant-QP encoding is deterministic; bitrate mode with threads is not. */
  quantizer: number;
  out: string;
}

export class EncoderError extends Error {
  constructor(
    readonly code: 'ENCODER_FAILED' | 'BAD_OUTPUT_PATH',
    message: string,
  ) {
    super(message);
  }
}

/** The gst-launch description: raw RGB on stdin → scale → H.264 (x264) → MP4. */
export function encoderPipeline(o: EncoderOptions): string {
  if (/["\\\n]/.test(o.out))
    throw new EncoderError(
      'BAD_OUTPUT_PATH',
      `output path may not contain quotes, backslashes or newlines: ${o.out}`,
    );
  return [
    `fdsrc fd=0 blocksize=${o.drawWidth * o.drawHeight * 3}`,
    `rawvideoparse width=${o.drawWidth} height=${o.drawHeight} format=rgb framerate=${o.fps}/1`,
    'queue max-size-buffers=8',
    'videoconvert',
    'videoscale',
    `video/x-raw,format=I420,width=${o.width},height=${o.height}`,
    `x264enc speed-preset=ultrafast pass=quant quantizer=${o.quantizer} key-int-max=${o.fps * 2}`,
    'h264parse',
    'mp4mux',
    `filesink location="${o.out}"`,
  ].join(' ! ');
}

/**
 * Encodes raw frames with a gst-launch-1.0 child fed through stdin. The child encodes on the
 * other core while the caller draws; write() waits when the pipe is full (back-pressure).
 */
export class VideoEncoder {
  private child: ReturnType<typeof spawn> | undefined;
  private stderr = '';
  private exit: Promise<[number | null, NodeJS.Signals | null]> | undefined;

  constructor(private readonly options: EncoderOptions) {}

  start(): void {
    const args = ['-q', ...encoderPipeline(this.options).split(' ')];
    // gst-launch parses its argv joined by spaces, so splitting on spaces is lossless here.
    this.child = spawn('gst-launch-1.0', args, { stdio: ['pipe', 'ignore', 'pipe'] });
    this.child.stderr!.on('data', (d: Buffer) => {
      this.stderr = (this.stderr + d.toString()).slice(-4000);
    });
    this.exit = once(this.child, 'exit') as Promise<[number | null, NodeJS.Signals | null]>;
    this.child.stdin!.on('error', () => undefined);
  }

  async write(frame: Uint8Array): Promise<void> {
    const stdin = this.child!.stdin!;
    if (!stdin.write(frame)) {
      await Promise.race([once(stdin, 'drain'), this.exit!.then(() => this.failed())]);
    }
  }

  /** Closes stdin (EOS: mp4mux writes its index) and waits for the encoder to finish. */
  async finish(): Promise<void> {
    this.child!.stdin!.end();
    const [code, signal] = await this.exit!;
    if (code !== 0) this.failed(code, signal);
  }

  kill(): void {
    this.child?.kill('SIGKILL');
  }

  private failed(code?: number | null, signal?: NodeJS.Signals | null): never {
    throw new EncoderError(
      'ENCODER_FAILED',
      `gst-launch-1.0 encoder exited (code ${code ?? '?'}, signal ${signal ?? 'none'}): ${this.stderr.trim() || 'no output'}`,
    );
  }
}
