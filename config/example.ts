import type { TSchema } from '@sinclair/typebox';
import { stringify } from 'yaml';
import { envName } from './load.js';
import { configSchema } from './schema.js';
import { asJson } from './walk.js';

const HEADER = `# orsight configuration — every key, its default and what it does.
# Generated from config/schema.ts by \`orsight config example\`; do not edit by hand
# (a test fails when this file and the schema disagree).
#
# Every key may be overridden from the environment: ORSIGHT_<SECTION>__<KEY>, e.g.
# ORSIGHT_HTTP__PORT=9000 or ORSIGHT_STORAGE__DATA_DIR=/data. A secret key K may also be
# given as K_file (or ORSIGHT_..._FILE) naming a file that holds it.
`;

/** Source examples, one per kind, shown commented out under capture.sources. */
const SOURCE_EXAMPLES = [
  {
    name: 'endoscope',
    kind: 'v4l2',
    role: 'endoscope',
    device: '/dev/video0',
    width: 1920,
    height: 1080,
    fps: 60,
    format: 'YUY2',
  },
  {
    name: 'room',
    kind: 'rtsp',
    role: 'room',
    url: 'rtsp://10.0.0.20:554/stream1',
    username: 'viewer',
    password_file: '/etc/orsight/room-camera.pass',
    protocol: 'tcp',
    latency_ms: 200,
  },
  {
    name: 'replay',
    kind: 'file',
    role: 'endoscope',
    path: '/var/lib/orsight/videos/case.mp4',
    loop: false,
    realtime: true,
  },
  { name: 'demo', kind: 'sim', role: 'endoscope', loop: true },
];

/** The YAML text of config/orsight.example.yaml. */
export function exampleYaml(): string {
  const out: string[] = [HEADER];
  const root = asJson(configSchema);
  for (const [section, schema] of Object.entries(root.properties ?? {})) {
    const s = asJson(schema);
    out.push('', comment(s.description ?? section, ''), `${section}:`);
    for (const [key, leaf] of Object.entries(s.properties ?? {})) {
      out.push(...describeLeaf([section, key], leaf));
    }
  }
  return `${out.join('\n')}\n`;
}

function describeLeaf(path: string[], schema: TSchema): string[] {
  const s = asJson(schema);
  const key = path.at(-1)!;
  const notes = [s.description ?? ''];
  if (s.enum) notes.push(`One of: ${s.enum.join(', ')}.`);
  const min = (s as { minimum?: number }).minimum;
  const max = (s as { maximum?: number }).maximum;
  if (min !== undefined && max !== undefined) notes.push(`Range ${min}–${max}.`);
  notes.push(`Env: ${envName(path)}${s.secret ? ` (or ${envName(path)}_FILE)` : ''}.`);
  const lines = [comment(notes.join(' '), '  ')];
  if (s.type === 'array' && key === 'sources') {
    lines.push(`  ${key}: []`);
    lines.push('  # Examples, one per kind:');
    lines.push('  # sources:');
    for (const ex of SOURCE_EXAMPLES) {
      const yaml = stringify([ex]).trimEnd().split('\n');
      for (const l of yaml) lines.push(`  #   ${l}`);
    }
    return lines;
  }
  if (s.default === undefined) {
    lines.push(`  # ${key}:${s.secret ? ` (or ${key}_file: /path)` : ''}`);
  } else {
    lines.push(`  ${key}: ${stringify(s.default).trimEnd()}`);
  }
  return lines;
}

function comment(text: string, indent: string): string {
  const words = text.split(/\s+/).filter(Boolean);
  const lines: string[] = [];
  let line = '';
  for (const w of words) {
    if (line.length + w.length + 1 > 90 - indent.length) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.map((l) => `${indent}# ${l}`).join('\n');
}
