import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import * as esbuild from 'esbuild';
import { PAGES, type WebPage } from './pages.js';
import { DIST_DIR, UI_DIR, WEB_DIR } from './paths.js';

/**
 * Builds the web app (Preact, bundled by esbuild) into ui/dist: hashed assets under
 * assets/, one HTML file per page that loads them (no inline script or style, so a strict
 * CSP holds) and manifest.json. Incremental: a fingerprint of every input is kept in
 * dist/.build-stamp and an unchanged tree is not rebuilt, so setup and test runs cost
 * milliseconds when nothing changed.
 */

export { DIST_DIR };

const STAMP_FILE = '.build-stamp';
/** Files outside ui/web that the bundle includes. */
const EXTRA_INPUTS = [
  join(UI_DIR, 'live-types.ts'),
  join(UI_DIR, '..', 'node_modules', 'preact', 'package.json'),
];

export interface BuildOptions {
  outDir?: string;
  /** Rebuild even when the inputs did not change. */
  force?: boolean;
  minify?: boolean;
}

export interface BuildResult {
  outDir: string;
  rebuilt: boolean;
  durationMs: number;
  manifest: WebManifest;
}

/** What each page loads, for ui/static.ts and the size tests. */
export type WebManifest = Record<WebPage['name'], { html: string; js: string[]; css: string[] }>;

export async function buildWebApp(options: BuildOptions = {}): Promise<BuildResult> {
  const started = performance.now();
  const outDir = options.outDir ?? DIST_DIR;
  const minify = options.minify ?? true;
  const stamp = fingerprint(minify);
  const stampPath = join(outDir, STAMP_FILE);
  const manifestPath = join(outDir, 'manifest.json');
  if (!options.force && existsSync(stampPath) && existsSync(manifestPath)) {
    if (readFileSync(stampPath, 'utf8') === stamp) {
      const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as WebManifest;
      return { outDir, rebuilt: false, durationMs: performance.now() - started, manifest };
    }
  }
  // Built beside the output and swapped in at the end: a server or a second build running at
  // the same time (two test workers) never sees a half-written folder.
  const buildDir = join(scratchDir(outDir), `web-build-${process.pid}-${Date.now()}`);
  rmSync(buildDir, { recursive: true, force: true });
  mkdirSync(join(buildDir, 'assets'), { recursive: true });
  const result = await esbuild.build({
    entryPoints: Object.fromEntries(PAGES.map((p) => [p.name, join(WEB_DIR, p.entry)])),
    outdir: join(buildDir, 'assets'),
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'browser',
    target: ['chrome109', 'firefox115', 'safari16'],
    minify,
    sourcemap: 'linked',
    metafile: true,
    entryNames: '[name]-[hash]',
    chunkNames: 'chunk-[hash]',
    assetNames: '[name]-[hash]',
    jsx: 'automatic',
    jsxImportSource: 'preact',
    tsconfigRaw: { compilerOptions: { jsx: 'react-jsx', jsxImportSource: 'preact' } },
    legalComments: 'none',
    logLevel: 'silent',
    define: { 'process.env.NODE_ENV': '"production"' },
  });
  const manifest = pageManifest(result.metafile, buildDir);
  for (const page of PAGES)
    writeFileSync(join(buildDir, manifest[page.name].html), pageHtml(page, manifest[page.name]));
  writeFileSync(join(buildDir, 'assets', 'favicon.svg'), FAVICON_SVG);
  precompress(join(buildDir, 'assets'));
  writeFileSync(join(buildDir, 'manifest.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  writeFileSync(join(buildDir, STAMP_FILE), stamp);
  swapIn(buildDir, outDir);
  return { outDir, rebuilt: true, durationMs: performance.now() - started, manifest };
}

/** For each entry: its JS file, the shared chunks it imports (transitively), its CSS. */
function pageManifest(meta: esbuild.Metafile, outDir: string): WebManifest {
  const assetsDir = join(outDir, 'assets');
  const rel = (file: string) => `/assets/${relative(assetsDir, resolve(file))}`;
  const manifest = {} as WebManifest;
  for (const page of PAGES) {
    const entryAbs = resolve(WEB_DIR, page.entry);
    const [outFile, out] =
      Object.entries(meta.outputs).find(([, o]) => o.entryPoint && resolve(o.entryPoint) === entryAbs) ?? [];
    if (!outFile || !out) throw new Error(`web build: no output for page ${page.name}`);
    const js: string[] = [];
    const visit = (file: string) => {
      const path = rel(file);
      if (js.includes(path)) return;
      js.push(path);
      for (const imp of meta.outputs[file]?.imports ?? [])
        if (imp.kind === 'import-statement') visit(imp.path);
    };
    visit(outFile);
    manifest[page.name] = { html: `${page.name}.html`, js, css: out.cssBundle ? [rel(out.cssBundle)] : [] };
  }
  return manifest;
}

function pageHtml(page: WebPage, assets: { js: string[]; css: string[] }): string {
  const [entry, ...chunks] = assets.js;
  return [
    '<!doctype html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    '<meta name="color-scheme" content="dark light">',
    `<title>${page.title}</title>`,
    '<link rel="icon" href="/assets/favicon.svg" type="image/svg+xml">',
    ...assets.css.map((href) => `<link rel="stylesheet" href="${href}">`),
    ...chunks.map((href) => `<link rel="modulepreload" href="${href}">`),
    `<script type="module" src="${entry}"></script>`,
    '</head>',
    `<body class="${page.bodyClass}">`,
    '<div id="app"><noscript>orsight needs JavaScript.</noscript></div>',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}

/**
 * Where a build is assembled: the repository's .cache (ignored by git and the linter) for
 * ui/dist, the output's own parent for any other output folder (same file system, so the
 * final rename is atomic).
 */
function scratchDir(outDir: string): string {
  const dir = resolve(outDir) === DIST_DIR ? join(UI_DIR, '..', '.cache') : dirname(resolve(outDir));
  mkdirSync(dir, { recursive: true });
  return dir;
}

/** Replaces `outDir` with `buildDir` (two renames; the old tree is removed afterwards). */
function swapIn(buildDir: string, outDir: string): void {
  const old = join(scratchDir(outDir), `web-old-${process.pid}-${Date.now()}`);
  try {
    renameSync(outDir, old);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  try {
    renameSync(buildDir, outDir);
  } catch (err) {
    // Another build swapped its identical tree in first: keep that one.
    if (
      (err as NodeJS.ErrnoException).code !== 'ENOTEMPTY' &&
      (err as NodeJS.ErrnoException).code !== 'EEXIST'
    )
      throw err;
    rmSync(buildDir, { recursive: true, force: true });
  }
  rmSync(old, { recursive: true, force: true });
}

/** Writes `<file>.gz` beside each text asset; ui/static.ts serves it to gzip-capable clients. */
function precompress(assetsDir: string): void {
  for (const name of readdirSync(assetsDir)) {
    if (!/\.(js|css|svg)$/.test(name)) continue;
    const path = join(assetsDir, name);
    writeFileSync(`${path}.gz`, gzipSync(readFileSync(path), { level: 9 }));
  }
}

/** Hash of every input's path, size and mtime, plus the build flags. */
function fingerprint(minify: boolean): string {
  const hash = createHash('sha256').update(`minify=${minify};v=1\n`);
  const files = [...listFiles(WEB_DIR), ...EXTRA_INPUTS].sort();
  for (const file of files) {
    const st = statSync(file, { throwIfNoEntry: false });
    if (st) hash.update(`${file}:${st.size}:${st.mtimeMs}\n`);
  }
  return hash.digest('hex');
}

function listFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const path = join(dir, e.name);
    if (e.isDirectory()) return listFiles(path);
    return /\.(tsx?|css|svg)$/.test(e.name) ? [path] : [];
  });
}

const FAVICON_SVG =
  '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><circle cx="16" cy="16" r="14" fill="#0b1220" stroke="#3fa7d6" stroke-width="4"/><circle cx="16" cy="16" r="5" fill="#3fa7d6"/></svg>\n';

// `tsx ui/web/build.ts [--force] [--dev]`: used by the setup and test scripts.
if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  buildWebApp({ force: args.includes('--force'), minify: !args.includes('--dev') }).then(
    (r) => {
      const what = r.rebuilt ? 'built' : 'up to date';
      process.stdout.write(
        `web app ${what} in ${Math.round(r.durationMs)} ms → ${relative(process.cwd(), r.outDir) || basename(r.outDir)}\n`,
      );
    },
    (err: unknown) => {
      process.stderr.write(`web build failed: ${(err as Error).message}\n`);
      process.exit(1);
    },
  );
}
