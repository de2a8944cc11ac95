import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { generateSurgicalVideo } from '../../inference/sim/generate.js';
import { type RunningDaemon, startDaemon, writeConfig } from '../e2e/daemon.js';
import { waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

interface InferenceHealth {
  ok: boolean;
  state: string;
  detail?: {
    backend?: string;
    backendAttempts?: Array<{ backend: string; ok: boolean }>;
    framesOut?: number;
    model?: { name: string };
    numTensors?: number;
  };
}

describe('inference inside the real daemon', () => {
  let daemon: RunningDaemon;

  beforeAll(async () => {
    const dir = tempDir();
    const video = join(dir, 'scope.mp4');
    await generateSurgicalVideo({ seed: 9401, minutes: 1, out: video, width: 320, height: 240, fps: 25 });
    const configFile = writeConfig(dir, {
      capture: {
        record: false,
        sources: [
          { name: 'scope', kind: 'file', role: 'endoscope', path: video, realtime: true, loop: true },
        ],
      },
    });
    daemon = await startDaemon(join(dir, 'data'), { configFile, env: { ORSIGHT_LOG__LEVEL: 'info' } });
  });
  afterAll(async () => {
    await daemon?.stop();
  });

  it('starts after capture, reports its backend and classifies the endoscope frames', async () => {
    const health = await waitFor(
      async () => {
        const r = (await (await fetch(`${daemon.baseUrl}/readyz`)).json()) as {
          parts: Record<string, InferenceHealth>;
        };
        const h = r.parts.inference;
        return h?.ok && (h.detail?.framesOut ?? 0) >= 15 ? h : undefined;
      },
      60_000,
      'inference classifying frames in the daemon',
    );
    expect(health.state).toBe('ready');
    expect(health.detail!.model!.name).toBe('demo-cholec');
    expect(health.detail!.backendAttempts!.at(-1)).toMatchObject({
      backend: health.detail!.backend,
      ok: true,
    });
    // Parts start in order: capture before inference.
    const out = daemon.proc.output();
    const started = (part: string) => out.indexOf(`"part":"${part}","durationMs"`);
    expect(started('capture')).toBeGreaterThanOrEqual(0);
    expect(started('inference')).toBeGreaterThan(started('capture'));
    expect(out).toContain('TF.js backend chosen');
  });
});
