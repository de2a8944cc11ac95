import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../helpers/process.js';
import { tempDir } from '../helpers/tmp.js';

interface Check {
  name: string;
  ok: boolean;
  required: boolean;
  detail: string;
  fix?: string;
}

function doctor(env: NodeJS.ProcessEnv): { code: number | null; checks: Check[] } {
  const r = runCli(['doctor', '--json'], env);
  return { code: r.code, checks: (JSON.parse(r.stdout) as { checks: Check[] }).checks };
}

describe('orsight doctor: GStreamer', () => {
  it('reports the H.264 encoder and decoder it found and which it will use', () => {
    const dir = tempDir();
    const { checks } = doctor({ ORSIGHT_STORAGE__DATA_DIR: dir });
    const enc = checks.find((c) => c.name === 'gst h264 encoder')!;
    const dec = checks.find((c) => c.name === 'gst h264 decoder')!;
    expect(enc).toMatchObject({ ok: true });
    expect(enc.detail).toMatch(/using (x264enc \(software\)|nvh264enc|vah264enc)/);
    expect(enc.detail).toContain('hardware:');
    expect(dec.detail).toMatch(/using (avdec_h264 \(software\)|nvh264dec|vah264dec)/);
    expect(checks.filter((c) => c.name.startsWith('gst ') && c.required && !c.ok)).toEqual([]);
  });

  it('a configured encoder that is not installed is named with its package', () => {
    const dir = tempDir();
    const { checks } = doctor({ ORSIGHT_STORAGE__DATA_DIR: dir, ORSIGHT_CAPTURE__ENCODER: 'nvh264enc' });
    const enc = checks.find((c) => c.name === 'gst h264 encoder')!;
    if (enc.ok) {
      expect(enc.detail).toContain('configured capture.encoder: nvh264enc'); // a box with NVENC
    } else {
      expect(enc.detail).toContain('nvh264enc (missing)');
      expect(enc.fix).toContain('gstreamer1.0-plugins-bad');
    }
  });

  it('names each missing plugin with the Debian package that provides it', () => {
    const dir = tempDir();
    const empty = join(dir, 'no-plugins');
    mkdirSync(empty);
    // A GStreamer that sees no plugins at all: every element is missing.
    const { code, checks } = doctor({
      ORSIGHT_STORAGE__DATA_DIR: dir,
      GST_PLUGIN_SYSTEM_PATH_1_0: empty,
      GST_PLUGIN_PATH_1_0: empty,
      GST_REGISTRY_1_0: join(dir, 'registry.bin'),
    });
    expect(code).toBe(1);
    const byName = new Map(checks.map((c) => [c.name, c]));
    expect(byName.get('gst x264enc')).toMatchObject({
      ok: false,
      fix: 'apt-get install gstreamer1.0-plugins-ugly',
    });
    expect(byName.get('gst avdec_h264')).toMatchObject({
      ok: false,
      fix: 'apt-get install gstreamer1.0-libav',
    });
    expect(byName.get('gst splitmuxsink')).toMatchObject({
      ok: false,
      fix: 'apt-get install gstreamer1.0-plugins-good',
    });
    expect(byName.get('gst intervideosink')).toMatchObject({
      ok: false,
      fix: 'apt-get install gstreamer1.0-plugins-bad',
    });
    expect(byName.get('gst videorate')!.detail).toContain('gstreamer1.0-plugins-base');
    expect(byName.get('gst h264 encoder')).toMatchObject({ ok: false });
  });
});
