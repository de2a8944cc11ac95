import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, renameSync, rmSync, statSync, symlinkSync } from 'node:fs';
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
 * Joins recording chunks into one MP4 with GStreamer, stream copy (no re-encode):
 * splitmuxsrc plays the chunks as one stream, h264parse + mp4mux write it again. Runs as a
 * child process so the daemon's event loop never does the work, one export at a time so a
 * burst of clicks cannot starve the recorder of disk and CPU. Cuts fall on chunk boundaries
 * (stream copy can only cut at key frames), so a clip covers its phase plus at most one chunk
 * of margin on each side.
 */
export class ClipWriter {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: ClipWriterOptions) {}

  /** Writes `chunks` (absolute paths, in time order) to `outFile`; resolves to its size. */
  write(chunks: string[], outFile: string): Promise<number> {
    const job = this.queue.then(() => this.run(chunks, outFile));
    this.queue = job.catch(() => undefined);
    return job;
  }

  private async run(chunks: string[], outFile: string): Promise<number> {
    mkdirSync(join(outFile, '..'), { recursive: true });
    // splitmuxsrc takes a glob: give it a folder of links named in play order.
    const parts = mkdtempSync(`${outFile}.parts-`);
    const tmp = `${outFile}.tmp`;
    try {
      for (const [i, chunk] of chunks.entries()) {
        symlinkSync(chunk, join(parts, `part-${String(i).padStart(6, '0')}.mp4`));
      }
      const args = [
        '-q',
        'splitmuxsrc',
        'name=src',
        `location=${join(parts, 'part-*.mp4')}`,
        'src.video_0',
        '!',
        'queue',
        '!',
        'h264parse',
        '!',
        'mp4mux',
        'faststart=true',
        '!',
        'filesink',
        `location=${tmp}`,
      ];
      await new Promise<void>((resolve, reject) => {
        execFile(
          'gst-launch-1.0',
          args,
          { timeout: this.options.timeoutMs, killSignal: 'SIGKILL' },
          (err, _out, stderr) => {
            if (!err) return resolve();
            const timedOut = (err as NodeJS.ErrnoException & { killed?: boolean }).killed;
            reject(
              timedOut
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
      rmSync(parts, { recursive: true, force: true });
      rmSync(tmp, { force: true });
    }
  }
}
