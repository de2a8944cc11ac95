import { resolve } from 'node:path';
import { type Command, InvalidArgumentError } from 'commander';
import { generateSurgicalVideo } from '../../inference/sim/generate.js';

function int(name: string, min: number, max: number) {
  return (v: string) => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(`${name} must be an integer from ${min} to ${max}`);
    return n;
  };
}

export function registerSimCommands(program: Command): void {
  const sim = program.command('sim').description('synthetic surgical video for demos, training and tests');
  sim
    .command('generate')
    .description('write a synthetic laparoscopic cholecystectomy (H.264 MP4) and FILE.labels.json')
    .requiredOption('--seed <n>', 'random seed (same seed, same video)', int('--seed', 0, 2 ** 32 - 1))
    .requiredOption('--minutes <m>', 'length in minutes', (v) => {
      const n = Number(v);
      if (!Number.isFinite(n) || n < 0.5 || n > 240)
        throw new InvalidArgumentError('--minutes must be from 0.5 to 240');
      return n;
    })
    .requiredOption('--out <file.mp4>', 'output video path')
    .option('--width <px>', 'video width', int('--width', 64, 3840), 640)
    .option('--height <px>', 'video height', int('--height', 48, 2160), 480)
    .option('--fps <n>', 'video frame rate', int('--fps', 1, 60), 25)
    .option(
      '--draw-height <px>',
      'internal drawing height (scaled up by GStreamer)',
      int('--draw-height', 48, 1080),
      120,
    )
    .option('--json', 'print the result as JSON')
    .action(
      async (o: {
        seed: number;
        minutes: number;
        out: string;
        width: number;
        height: number;
        fps: number;
        drawHeight: number;
        json?: boolean;
      }) => {
        if (!o.out.endsWith('.mp4')) {
          process.stderr.write('--out must name an .mp4 file\n');
          process.exit(2);
        }
        try {
          const r = await generateSurgicalVideo({
            seed: o.seed,
            minutes: o.minutes,
            out: resolve(o.out),
            width: o.width,
            height: o.height,
            fps: o.fps,
            drawHeight: o.drawHeight,
          });
          const summary = {
            video: r.videoPath,
            labels: r.labelsPath,
            frames: r.frames,
            durationS: r.labels.durationS,
            segments: r.labels.segments.length,
            outOfBodySpans: r.labels.outOfBody.length,
            wallS: Math.round(r.durationMs / 100) / 10,
          };
          if (o.json) process.stdout.write(`${JSON.stringify(summary)}\n`);
          else {
            process.stdout.write(
              `${summary.video}: ${summary.frames} frames, ${summary.durationS} s, ${summary.segments} phase segments, ${summary.outOfBodySpans} out-of-body spans (${summary.wallS} s)\n${summary.labels}\n`,
            );
          }
        } catch (err) {
          const e = err as Error & { code?: string };
          process.stderr.write(`sim generate: ${e.code ?? 'ERROR'}: ${e.message}\n`);
          process.exit(1);
        }
      },
    );
}
