import { execFileSync } from 'node:child_process';
import { accessSync, constants, mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { gstChecks } from '../capture/gst-doctor.js';
import { ConfigError, loadConfig } from '../config/index.js';

const require = createRequire(import.meta.url);

export interface DoctorCheck {
  name: string;
  ok: boolean;
  /** A failed required check makes the box unfit to run; others are warnings. */
  required: boolean;
  detail: string;
  fix?: string;
}

export interface DoctorReport {
  ok: boolean;
  checks: DoctorCheck[];
}

/** GStreamer elements the appliance relies on, with their Debian packages (capture owns the list). */
export { GST_ELEMENTS } from '../capture/gst-doctor.js';

export function hasGstElement(element: string): boolean {
  try {
    execFileSync('gst-inspect-1.0', ['--exists', element], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

function which(bin: string): string | undefined {
  try {
    return execFileSync('sh', ['-c', `command -v ${bin}`], { encoding: 'utf8' }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function runDoctor(opts: { configFile?: string }): Promise<DoctorReport> {
  const checks: DoctorCheck[] = [];
  const major = Number(process.versions.node.split('.')[0]);
  checks.push({
    name: 'node',
    ok: major >= 20,
    required: true,
    detail: `Node.js ${process.versions.node}`,
    fix: 'install Node.js 20 LTS',
  });

  let dataDir: string | undefined;
  let captureCodecs: Parameters<typeof gstChecks>[0];
  try {
    const cfg = loadConfig({ file: opts.configFile, env: process.env });
    dataDir = cfg.storage.data_dir;
    captureCodecs = { encoder: cfg.capture.encoder, decoder: cfg.capture.decoder };
    checks.push({ name: 'config', ok: true, required: true, detail: opts.configFile ?? '(defaults)' });
  } catch (err) {
    const detail = err instanceof ConfigError ? err.message : (err as Error).message;
    checks.push({
      name: 'config',
      ok: false,
      required: true,
      detail,
      fix: 'run `orsight config check FILE`',
    });
  }
  if (dataDir) {
    try {
      mkdirSync(dataDir, { recursive: true });
      accessSync(dataDir, constants.W_OK);
      checks.push({ name: 'data directory', ok: true, required: true, detail: `${dataDir} is writable` });
    } catch (err) {
      checks.push({
        name: 'data directory',
        ok: false,
        required: true,
        detail: `${dataDir}: ${(err as NodeJS.ErrnoException).code}`,
        fix: 'run systemd/install.sh or set storage.data_dir',
      });
    }
  }

  for (const mod of ['better-sqlite3', 'gstreamer-superficial']) {
    try {
      require(mod);
      checks.push({ name: `module ${mod}`, ok: true, required: true, detail: 'loads' });
    } catch (err) {
      checks.push({
        name: `module ${mod}`,
        ok: false,
        required: true,
        detail: (err as Error).message.split('\n')[0]!,
        fix: 'run `npm ci` (builds native modules)',
      });
    }
  }

  const inspect = which('gst-inspect-1.0');
  if (!inspect) {
    checks.push({
      name: 'gstreamer tools',
      ok: false,
      required: true,
      detail: 'gst-inspect-1.0 not found',
      fix: 'apt-get install gstreamer1.0-tools',
    });
  } else {
    // The GStreamer elements capture needs and the H.264 codecs found (capture/gst-doctor.ts).
    checks.push(...(await gstChecks(captureCodecs)));
  }
  for (const [bin, pkg, required] of [
    ['mosquitto', 'mosquitto', false],
    ['chromium', 'chromium', false],
  ] as const) {
    const path = which(bin);
    checks.push({
      name: bin,
      ok: !!path,
      required,
      detail: path ?? 'not found',
      fix: path ? undefined : `apt-get install ${pkg}`,
    });
  }
  return { ok: checks.every((c) => c.ok || !c.required), checks };
}
