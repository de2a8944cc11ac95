import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { ModelPackageError } from '../../inference/errors.js';
import { loadModelPackage } from '../../inference/package-loader.js';
import { tempDir } from '../helpers/tmp.js';
import { DEMO_MODEL_DIR, makeTinyPackage } from './helpers.js';

const dir = tempDir('orsight-package-');
let good: string;
let n = 0;

beforeAll(async () => {
  good = await makeTinyPackage(join(dir, 'good'));
});

/** A fresh copy of the good package, changed by `mutate`. */
async function variant(mutate: (pkgDir: string) => void): Promise<string> {
  const d = await makeTinyPackage(join(dir, `v${n++}`));
  mutate(d);
  return d;
}

// biome-ignore lint/suspicious/noExplicitAny: tests edit arbitrary (also invalid) manifest fields
type Editable = Record<string, any>;

function editManifest(d: string, edit: (m: Editable) => void): void {
  const p = join(d, 'manifest.json');
  const m = JSON.parse(readFileSync(p, 'utf8')) as Editable;
  edit(m);
  writeFileSync(p, JSON.stringify(m));
}

function refusal(d: string): ModelPackageError {
  try {
    loadModelPackage(d);
  } catch (err) {
    if (err instanceof ModelPackageError) return err;
    throw err;
  }
  throw new Error('package was accepted');
}

describe('model package loader', () => {
  it('accepts a good package and the shipped demo model', () => {
    const pkg = loadModelPackage(good);
    expect(pkg.manifest.name).toBe('tiny-test');
    expect(pkg.weightData.byteLength).toBeGreaterThan(0);
    const demo = loadModelPackage(DEMO_MODEL_DIR);
    expect(demo.manifest.procedure).toBe('laparoscopic-cholecystectomy');
    expect(demo.manifest.phases).toHaveLength(7);
    expect(demo.manifest.outOfBodyClass).toBe('out_of_body');
    expect(demo.sizeBytes).toBeLessThan(2 * 1024 * 1024);
  });

  it('refuses a file whose sha256 does not match', async () => {
    const d = await variant((p) => {
      const f = join(p, 'model.json');
      writeFileSync(f, readFileSync(f, 'utf8').replace('"relu"', '"elu"'));
    });
    const e = refusal(d);
    expect(e.code).toBe('FILE_HASH_MISMATCH');
    expect(e.message).toContain('"model.json"');
  });

  it('refuses a package with a missing file', async () => {
    const d = await variant((p) => rmSync(join(p, 'weights.bin')));
    const e = refusal(d);
    expect(e.code).toBe('FILE_MISSING');
    expect(e.message).toContain('"weights.bin"');
  });

  it('refuses a package whose model input shape differs from the manifest', async () => {
    const d = await variant((p) =>
      editManifest(p, (m) => {
        m.input.width = 32;
      }),
    );
    const e = refusal(d);
    expect(e.code).toBe('INPUT_SHAPE_MISMATCH');
    expect(e.message).toMatch(/\[batch, 16, 16, 3\].*32x16x3/);
  });

  it('refuses a transition naming an unknown phase', async () => {
    const d = await variant((p) =>
      editManifest(p, (m) => {
        m.transitions.b = ['c', 'closing'];
      }),
    );
    const e = refusal(d);
    expect(e.code).toBe('UNKNOWN_PHASE');
    expect(e.message).toBe('manifest.transitions.b names unknown phase "closing" (phases: a, b, c)');
  });

  it('refuses a weight shard that the manifest does not list', async () => {
    const d = await variant((p) =>
      editManifest(p, (m) => {
        delete m.files['weights.bin'];
      }),
    );
    expect(refusal(d).code).toBe('FILE_NOT_LISTED');
  });

  it('reports manifest shape errors with their path', async () => {
    const d = await variant((p) =>
      editManifest(p, (m) => {
        m.phases[0].color = 'red';
        m.fps = 0;
        m.boundaryLagS = -1;
      }),
    );
    const e = refusal(d);
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toContain('manifest.phases.0.color');
    expect(e.message).toContain('manifest.fps');
    expect(e.message).toContain('manifest.boundaryLagS');
  });

  it('refuses classes that do not match the phases and the out-of-body class', async () => {
    const d = await variant((p) =>
      editManifest(p, (m) => {
        m.classes = ['a', 'b', 'c'];
      }),
    );
    const e = refusal(d);
    expect(e.code).toBe('MANIFEST_INVALID');
    expect(e.message).toContain('"out"');
  });

  it('refuses a folder without a manifest, and a path escaping the folder', async () => {
    const d = await variant((p) => rmSync(join(p, 'manifest.json')));
    expect(refusal(d).code).toBe('MANIFEST_MISSING');
    const d2 = await variant((p) =>
      editManifest(p, (m) => {
        m.files['../secrets'] = 'a'.repeat(64);
      }),
    );
    expect(refusal(d2).code).toBe('FILE_UNSAFE_PATH');
  });
});
