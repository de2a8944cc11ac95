import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

const UNIT = join(ROOT, 'systemd', 'orsightd.service');
const INSTALLED = '/usr/local/bin/orsightd';

describe('systemd unit', () => {
  it('passes systemd-analyze verify', () => {
    // The unit runs the installed entry point; link it as systemd/install.sh would when absent.
    let unit = UNIT;
    let linked = false;
    if (!existsSync(INSTALLED)) {
      try {
        symlinkSync(join(ROOT, 'bin', 'orsightd'), INSTALLED);
        linked = true;
      } catch {
        // Not root: verify a copy that points at this checkout's entry point instead.
        unit = join(tempDir(), 'orsightd.service');
        writeFileSync(unit, readFileSync(UNIT, 'utf8').replace(INSTALLED, join(ROOT, 'bin', 'orsightd')));
      }
    }
    try {
      const r = spawnSync('systemd-analyze', ['verify', unit], { encoding: 'utf8' });
      expect(r.stderr.trim()).toBe('');
      expect(r.status).toBe(0);
    } finally {
      if (linked) unlinkSync(INSTALLED);
    }
  });

  it('is Type=notify with a watchdog, restart back-off and hardening', () => {
    const unit = readFileSync(UNIT, 'utf8');
    for (const line of [
      'Type=notify',
      'WatchdogSec=',
      'Restart=on-failure',
      'RestartSec=',
      'User=orsight',
      'NoNewPrivileges=yes',
      'ProtectSystem=strict',
      'ReadWritePaths=/var/lib/orsight',
      'ProtectHome=yes',
      'PrivateTmp=yes',
      'CapabilityBoundingSet=\n',
      'SupplementaryGroups=video render',
      'LimitNOFILE=',
    ]) {
      expect(unit).toContain(line);
    }
  });
});
