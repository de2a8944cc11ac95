import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AnalysisFrame } from '../../capture/index.js';
import { freePort, waitFor } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';
import { captureHarness, type Harness } from './harness.js';
import { type RtspServer, startRtspServer } from './rtsp-fixture.js';

// Quotes, spaces and ! would break a naively built pipeline string.
const PASSWORD = 'Or"5ight s3cret!';

describe('rtsp credentials from the config secrets', () => {
  let h: Harness;
  let server: RtspServer;
  const logLines: string[] = [];
  const frames: AnalysisFrame[] = [];

  beforeAll(async () => {
    const dir = tempDir();
    const port = await freePort();
    server = await startRtspServer(port, { user: 'op', password: PASSWORD });
    const passwordFile = join(dir, 'camera-password');
    writeFileSync(passwordFile, `${PASSWORD}\n`, { mode: 0o600 });
    h = captureHarness(
      dir,
      [
        {
          name: 'good',
          kind: 'rtsp',
          role: 'room',
          url: server.url,
          username: 'op',
          password_file: passwordFile,
        },
        {
          name: 'wrong',
          kind: 'rtsp',
          role: 'room',
          url: server.url,
          username: 'op',
          password: 'not-the-password',
        },
      ],
      {
        record: false,
        analysis_fps: 5,
        analysis_width: 64,
        analysis_height: 48,
        restart_backoff_min_ms: 500,
      },
      logLines,
    );
    await h.capture.start();
    h.capture.onFrame((f) => {
      frames.push(f);
    });
  });
  afterAll(async () => {
    await h?.close();
    await server?.stop();
  });

  it('the password from password_file opens the stream; a wrong one is reported as refused; neither is logged', async () => {
    await waitFor(
      () => frames.filter((f) => f.source === 'good').length >= 3,
      30_000,
      'frames with the right credentials',
    );
    const wrong = await waitFor(
      () => (h.status('wrong')?.lastErrorCode ? h.status('wrong') : undefined),
      30_000,
      'the refused source error',
    );
    expect(wrong.lastErrorCode).toBe('SOURCE_UNAUTHORIZED');
    expect(wrong.lastError).toContain('refused the credentials');
    expect(frames.some((f) => f.source === 'wrong')).toBe(false);
    const all = [logLines.join(''), JSON.stringify(h.statuses)].join('\n');
    expect(logLines.length).toBeGreaterThan(5);
    expect(all).not.toContain(PASSWORD);
    expect(all).not.toContain('not-the-password');
  });
});
