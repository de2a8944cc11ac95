import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ensureDemoVideo } from '../../inference/index.js';

export interface DemoPlan {
  /** Config overrides: the simulated endoscope and sync to the local broker. */
  overrides: Record<string, unknown>;
  brokerPort: number;
}

/**
 * Prepares `orsightd --demo`: generates the simulated surgical video once (then reuses it)
 * and picks a free loopback port for the demo broker. Sources or sync settings given in a
 * config file or the environment win over the demo's.
 */
export async function prepareDemo(
  dataDir: string,
  configured: { hasSources: boolean; syncEnabled: boolean },
): Promise<DemoPlan> {
  const brokerPort = await freePort();
  const overrides: Record<string, unknown> = { daemon: { demo: true }, storage: { data_dir: dataDir } };
  if (!configured.hasSources) {
    const simDir = join(dataDir, 'sim');
    mkdirSync(simDir, { recursive: true });
    const video = await ensureDemoVideo(simDir);
    overrides.capture = {
      sources: [{ name: 'endoscope', kind: 'sim', role: 'endoscope', path: video, loop: true }],
    };
  }
  if (!configured.syncEnabled)
    overrides.sync = { enabled: true, broker_url: `mqtt://127.0.0.1:${brokerPort}` };
  return { overrides, brokerPort };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => resolve(typeof addr === 'object' && addr ? addr.port : 0));
    });
  });
}
