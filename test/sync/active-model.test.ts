import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { activeModelDir } from '../../sync/index.js';
import { tempDir } from '../helpers/tmp.js';

describe('the rolled-out model survives a restart', () => {
  const dataDir = tempDir();
  const models = join(dataDir, 'models');

  it('is found from models/active.json while its folder exists', () => {
    expect(activeModelDir(dataDir)).toBeUndefined();
    const dir = join(models, '2.0.0');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(models, 'active.json'),
      JSON.stringify({ version: '2.0.0', dir, sha256: 'x', atMs: 1 }),
    );
    expect(activeModelDir(dataDir)).toBe(dir);
    rmSync(dir, { recursive: true });
    expect(activeModelDir(dataDir)).toBeUndefined();
  });

  it('ignores a damaged active.json (the shipped model runs instead)', () => {
    writeFileSync(join(models, 'active.json'), '{"dir": ');
    expect(activeModelDir(dataDir)).toBeUndefined();
  });
});
