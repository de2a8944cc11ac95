import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { pino } from 'pino';
import { ConfigError, loadConfig } from '../../config/index.js';
import { evaluate } from '../../inference/evaluation.js';
import { DEMO_MODEL_DIR } from '../../inference/models.js';
import { replayVideo } from '../../inference/replay.js';
import type { CaseLabels } from '../../inference/sim/case-script.js';

export function registerReplayCommand(program: Command): void {
  program
    .command('replay')
    .description(
      'run a recorded video through capture → inference → filter as fast as possible; print the timeline',
    )
    .argument('<video>', 'video file')
    .option('--model <dir>', 'model package folder (default: inference.model_dir, else the demo model)')
    .option(
      '--labels <file>',
      'ground truth (FILE.labels.json from `orsight sim generate`): print accuracy and boundary errors',
    )
    .option('--json', 'print one JSON object')
    .option('-c, --config <file>', 'config file (filter parameters, analysis size and fps)')
    .action(
      async (video: string, o: { model?: string; labels?: string; json?: boolean; config?: string }) => {
        let config: ReturnType<typeof loadConfig>;
        try {
          config = loadConfig({ file: o.config, env: process.env });
        } catch (err) {
          if (!(err instanceof ConfigError)) throw err;
          process.stderr.write(`invalid configuration:\n${err.message}\n`);
          process.exit(2);
        }
        if (!existsSync(video)) {
          process.stderr.write(`${video}: no such file\n`);
          process.exit(2);
        }
        let labels: CaseLabels | undefined;
        if (o.labels) {
          try {
            labels = JSON.parse(readFileSync(o.labels, 'utf8')) as CaseLabels;
            if (labels.format !== 'orsight-sim-labels') throw new Error('not an orsight labels file');
          } catch (err) {
            process.stderr.write(`${o.labels}: ${(err as Error).message}\n`);
            process.exit(2);
          }
        }
        // Logs go to stderr so stdout holds only the result.
        const log = pino(
          { level: process.env.ORSIGHT_LOG__LEVEL ?? 'warn', base: { module: 'replay' } },
          pino.destination(2),
        );
        const modelDir = resolve(o.model ?? config.inference.model_dir ?? DEMO_MODEL_DIR);
        try {
          const r = await replayVideo({ video: resolve(video), modelDir, config, log });
          const ev = labels
            ? evaluate(r.frames, r.timeline, labels, r.model.classes, r.model.outOfBodyClass ?? 'out_of_body')
            : undefined;
          const out = {
            video: resolve(video),
            model: { name: r.model.name, version: r.model.version, backend: r.model.backend },
            frames: r.frames.length,
            videoDurationS: round(r.videoDurationS),
            wallS: round(r.wallS),
            realTimeFactor: round(r.realTimeFactor),
            timeline: {
              phases: r.timeline.phases.map((s) => ({
                phase: s.phase,
                startS: round(s.startMs / 1000),
                endS: s.endMs === undefined ? null : round(s.endMs / 1000),
              })),
              outOfBody: r.timeline.outOfBody.map((s) => ({
                startS: round(s.startMs / 1000),
                endS: s.endMs === undefined ? null : round(s.endMs / 1000),
              })),
            },
            ...(ev ?? {}),
          };
          if (o.json) {
            process.stdout.write(`${JSON.stringify(out)}\n`);
            return;
          }
          const lines = [
            `${out.video}: ${out.frames} frames, ${out.videoDurationS} s of video in ${out.wallS} s (${out.realTimeFactor}x real time), model ${out.model.name} ${out.model.version} on ${out.model.backend}`,
            '',
            'timeline:',
          ];
          for (const s of out.timeline.phases)
            lines.push(`  ${clock(s.startS)} – ${s.endS === null ? ' end ' : clock(s.endS)}  ${s.phase}`);
          for (const s of out.timeline.outOfBody)
            lines.push(`  ${clock(s.startS)} – ${s.endS === null ? ' end ' : clock(s.endS)}  (out of body)`);
          if (ev) {
            lines.push(
              '',
              `frame accuracy: filtered ${pct(ev.accuracy)}, raw classifier ${pct(ev.rawAccuracy)}, live display ${pct(ev.onlineAccuracy)}`,
              `transitions: ${ev.transitions}, missed ${ev.missedTransitions}, spurious ${ev.spuriousTransitions}; boundary error median ${ev.boundaryErrorMedianS ?? '-'} s, max ${ev.boundaryErrorMaxS ?? '-'} s`,
              '',
              `  ${'class'.padEnd(28)} precision  recall  jaccard  frames`,
            );
            for (const [c, s] of Object.entries(ev.perClass)) {
              lines.push(
                `  ${c.padEnd(28)} ${pct(s.precision).padStart(9)} ${pct(s.recall).padStart(7)} ${pct(s.jaccard).padStart(8)} ${String(s.frames).padStart(7)}`,
              );
            }
          }
          process.stdout.write(`${lines.join('\n')}\n`);
        } catch (err) {
          const e = err as Error & { code?: string };
          process.stderr.write(`replay: ${e.code ?? 'ERROR'}: ${e.message}\n`);
          process.exit(1);
        }
      },
    );
}

function round(v: number): number {
  return Math.round(v * 1000) / 1000;
}

function pct(v: number): string {
  return `${(v * 100).toFixed(1)} %`;
}

function clock(s: number): string {
  const m = Math.floor(s / 60);
  return `${String(m).padStart(2, '0')}:${(s - m * 60).toFixed(1).padStart(4, '0')}`;
}
