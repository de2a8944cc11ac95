import { type ChildProcess, execFile } from 'node:child_process';
import { mkdirSync, renameSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface ClipWriterOptions {
  /** Longest a single export may take before GStreamer is stopped. */
  timeoutMs: number;
}

export class ClipError extends Error {
  constructor(
    readonly code: 'CLIP_FAILED' | 'CLIP_TIMEOUT',
    message: string,
  ) {
    super(message);
    this.name = 'ClipError';
  }
}

/**
 * Joins recording chunks into one MP4 with GStreamer, stream copy (no re-encode): each chunk
 * is demuxed, concat plays them back to back, h264parse + mp4mux write them again. (splitmuxsrc
 * was tried first: it sometimes ended the stream early or stalled.) Runs as a
 * child process so the daemon's event loop never does the work, one export at a time so a
 * burst of clicks cannot starve the recorder of disk and CPU. Cuts fall on chunk boundaries
 * (stream copy can only cut at key frames), so a clip covers its phase plus at most one chunk
 * of margin on each side.
 */
export class ClipWriter {
  private queue: Promise<unknown> = Promise.resolve();
  private running: ChildProcess | undefined;
  private stopped = false;

  constructor(private readonly options: ClipWriterOptions) {}

  /** Ends a running export (the daemon is shutting down): GStreamer must not outlive it. */
  stop(): void {
    this.stopped = true;
    this.running?.kill('SIGKILL');
  }

  /** Writes `chunks` (absolute paths, in time order) to `outFile`; resolves to its size. */
  write(chunks: string[], outFile: string): Promise<number> {
    const job = this.queue.then(() => this.run(chunks, outFile));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async run(chunks: string[], outFile: string): Promise<number> {
    mkdirSync(join(outFile, '..'), { recursive: true });
    const tmp = `${outFile}.tmp`;
    try {
      // concat plays each chunk's demuxed H.264 after the previous one; mp4mux writes it again.
      const args = [
        '-q',
        'concat',
        'name=cat',
        '!',
        'h264parse',
        '!',
        'mp4mux',
        'faststart=true',
        '!',
        'filesink',
        `location=${gstQuote(tmp)}`,
        ...chunks.flatMap((chunk) => [
          'filesrc',
          `location=${gstQuote(chunk)}`,
          '!',
          'qtdemux',
          '!',
          'h264parse',
          '!',
          'cat.',
        ]),
      ];
      if (this.stopped) throw new ClipError('CLIP_FAILED', 'the daemon is shutting down');
      await new Promise<void>((resolve, reject) => {
        this.running = execFile(
          'gst-launch-1.0',
          args,
          { timeout: this.options.timeoutMs, killSignal: 'SIGKILL' },
          (err, _out, stderr) => {
            this.running = undefined;
            if (!err) return resolve();
            const killed = (err as NodeJS.ErrnoException & { killed?: boolean }).killed;
            if (this.stopped) {
              return reject(
                new ClipError('CLIP_FAILED', 'the export was stopped: the daemon is shutting down'),
              );
            }
            reject(
              killed
                ? new ClipError(
                    'CLIP_TIMEOUT',
                    `the clip export took longer than ${this.options.timeoutMs} ms`,
                  )
                : new ClipError(
                    'CLIP_FAILED',
                    `GStreamer could not join the chunks: ${String(stderr).trim().slice(0, 300)}`,
                  ),
            );
          },
        );
      });
      renameSync(tmp, outFile);
      return statSync(outFile).size;
    } finally {
      rmSync(tmp, { force: true });
    }
  }
}

/** A path as one gst-launch property value (quoted, so spaces and `!` stay inside it). */
function gstQuote(path: string): string {
  return `"${path.replace(/(["\\])/g, '\\$1')}"`;
}
