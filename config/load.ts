import { readFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { Ajv, type ErrorObject } from 'ajv';
import { type Document, isMap, isSeq, LineCounter, parseDocument } from 'yaml';
import { ConfigError, type ConfigIssue } from './errors.js';
import { type Config, configSchema } from './schema.js';
import { asJson, isPlainObject, leaves, visitObjects } from './walk.js';

export const ENV_PREFIX = 'ORSIGHT_';

export interface LoadOptions {
  /** YAML file; when absent the built-in defaults are used. */
  file?: string;
  /** Environment to read `ORSIGHT_*` overrides from (default: none). */
  env?: NodeJS.ProcessEnv;
  /** Values applied over file and environment (used by the demo and by tests). */
  overrides?: Record<string, unknown>;
}

const ajv = new Ajv({ allErrors: true, useDefaults: true, strict: false });
const validate = ajv.compile<Config>(configSchema);

/** Reads, merges and validates a configuration, or throws a ConfigError listing every problem. */
export function loadConfig(options: LoadOptions = {}): Readonly<Config> {
  const issues: ConfigIssue[] = [];
  let raw: Record<string, unknown> = {};
  let located: Located | undefined;
  if (options.file !== undefined) {
    const parsed = readYaml(options.file, issues);
    raw = parsed.value;
    located = parsed.located;
    if (issues.length > 0) throw new ConfigError(issues, options.file);
  }
  if (options.env) applyEnv(raw, options.env, issues);
  if (options.overrides) deepMerge(raw, structuredClone(options.overrides));
  resolveSecretFiles(raw, issues);
  if (issues.length > 0) throw new ConfigError(issues, options.file);

  if (!validate(raw)) {
    const mapped = (validate.errors ?? []).map((e) => toIssue(e, located));
    throw new ConfigError(dedupe(mapped), options.file);
  }
  return deepFreeze(raw as Config);
}

/** Where each config path is in the YAML file, for error lines. */
type Located = (path: string[]) => number | undefined;

function readYaml(
  file: string,
  issues: ConfigIssue[],
): { value: Record<string, unknown>; located?: Located } {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (err) {
    issues.push({
      path: file,
      message: `cannot read config file (${(err as NodeJS.ErrnoException).code ?? err})`,
    });
    return { value: {} };
  }
  const lineCounter = new LineCounter();
  const doc = parseDocument(text, { lineCounter, uniqueKeys: true });
  for (const e of doc.errors) {
    const line = e.linePos?.[0]?.line;
    issues.push({ path: '(yaml)', message: `syntax error: ${e.message.split('\n')[0]}`, line });
  }
  if (doc.errors.length > 0) return { value: {} };
  const value: unknown = doc.toJS() ?? {};
  if (!isPlainObject(value)) {
    issues.push({
      path: '(root)',
      message: 'the file must contain a mapping of sections (e.g. "http:")',
      line: 1,
    });
    return { value: {} };
  }
  return { value, located: (path) => lineOf(doc, lineCounter, path) };
}

function lineOf(doc: Document, lc: LineCounter, path: string[]): number | undefined {
  // The deepest existing node on the path; for a mapping entry, the line of its key.
  for (let n = path.length; n > 0; n--) {
    const parent = n > 1 ? doc.getIn(path.slice(0, n - 1).map(segment), true) : doc.contents;
    const last = path[n - 1]!;
    let range: [number, number, number] | undefined;
    if (isMap(parent)) {
      const pair = parent.items.find((p) => String((p.key as { value?: unknown } | null)?.value) === last);
      range = (pair?.key as { range?: [number, number, number] } | undefined)?.range;
    } else if (isSeq(parent)) {
      range = (parent.items[Number(last)] as { range?: [number, number, number] } | undefined)?.range;
    }
    if (range) return lc.linePos(range[0]).line;
  }
  return undefined;
}

const segment = (p: string): string | number => (/^\d+$/.test(p) ? Number(p) : p);

/** `ORSIGHT_HTTP__PORT=9000` sets `http.port`; arrays and objects take JSON. */
function applyEnv(raw: Record<string, unknown>, env: NodeJS.ProcessEnv, issues: ConfigIssue[]): void {
  for (const leaf of leaves(configSchema)) {
    const name = envName(leaf.path);
    const secret = asJson(leaf.schema).secret === true;
    const candidates: Array<[string, string[]]> = [[name, leaf.path]];
    if (secret) candidates.push([`${name}_FILE`, [...leaf.path.slice(0, -1), `${leaf.path.at(-1)}_file`]]);
    for (const [varName, path] of candidates) {
      const text = env[varName];
      if (text === undefined) continue;
      const parsed = parseEnvValue(leaf.schema, text);
      if (parsed.error) issues.push({ path: `${varName}`, message: parsed.error });
      else setIn(raw, path, parsed.value);
    }
  }
}

export function envName(path: string[]): string {
  return ENV_PREFIX + path.map((p) => p.toUpperCase()).join('__');
}

function parseEnvValue(schema: TSchema, text: string): { value?: unknown; error?: string } {
  const s = asJson(schema);
  switch (s.type) {
    case 'integer':
    case 'number': {
      const n = Number(text);
      return text.trim() === '' || Number.isNaN(n)
        ? { error: `expected a number, got "${text}"` }
        : { value: n };
    }
    case 'boolean':
      if (/^(true|1|yes|on)$/i.test(text)) return { value: true };
      if (/^(false|0|no|off)$/i.test(text)) return { value: false };
      return { error: `expected true or false, got "${text}"` };
    case 'array':
    case 'object':
      try {
        return { value: JSON.parse(text) };
      } catch {
        return { error: 'expected JSON' };
      }
    default:
      return { value: text };
  }
}

/** A secret `key` may be given as `key_file: /path`; the file's content (trimmed) is the value. */
function resolveSecretFiles(raw: Record<string, unknown>, issues: ConfigIssue[]): void {
  visitObjects(configSchema, raw, (props, obj, path) => {
    for (const [key, child] of Object.entries(props)) {
      const fileKey = `${key}_file`;
      if (asJson(child).secret !== true || !(fileKey in obj) || fileKey in props) continue;
      const file = obj[fileKey];
      delete obj[fileKey];
      if (typeof file !== 'string') {
        issues.push({ path: [...path, fileKey].join('.'), message: 'must be a file path' });
        continue;
      }
      try {
        obj[key] = readFileSync(file, 'utf8').replace(/\r?\n$/, '');
      } catch (err) {
        issues.push({
          path: [...path, fileKey].join('.'),
          message: `cannot read secret file ${file} (${(err as NodeJS.ErrnoException).code ?? err})`,
        });
      }
    }
  });
}

function toIssue(e: ErrorObject, located?: Located): ConfigIssue {
  const segments = e.instancePath.split('/').slice(1).map(decodePointer);
  let message = e.message ?? 'is invalid';
  if (e.keyword === 'additionalProperties') {
    const key = String((e.params as { additionalProperty: string }).additionalProperty);
    segments.push(key);
    message = 'unknown key (check the spelling; see config/orsight.example.yaml)';
  } else if (e.keyword === 'required') {
    segments.push(String((e.params as { missingProperty: string }).missingProperty));
    message = 'is required';
  } else if (e.keyword === 'enum') {
    const allowed = (e.params as { allowedValues: unknown[] }).allowedValues;
    message = `must be one of ${allowed.map((v) => JSON.stringify(v)).join(', ')}`;
  } else if (e.keyword === 'pattern' && asJson(e.parentSchema as TSchema).description) {
    message = `has an invalid format (${asJson(e.parentSchema as TSchema).description})`;
  }
  const path = segments.length > 0 ? segments.join('.') : '(root)';
  return { path, message, line: located?.(segments) };
}

const decodePointer = (s: string) => s.replace(/~1/g, '/').replace(/~0/g, '~');

function dedupe(issues: ConfigIssue[]): ConfigIssue[] {
  const seen = new Set<string>();
  return issues.filter((i) => {
    const k = `${i.path}\u0000${i.message}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

function setIn(obj: Record<string, unknown>, path: string[], value: unknown): void {
  let cur = obj;
  for (const key of path.slice(0, -1)) {
    if (!isPlainObject(cur[key])) cur[key] = {};
    cur = cur[key] as Record<string, unknown>;
  }
  cur[path.at(-1)!] = value;
}

function deepMerge(target: Record<string, unknown>, source: Record<string, unknown>): void {
  for (const [k, v] of Object.entries(source)) {
    if (isPlainObject(v) && isPlainObject(target[k])) deepMerge(target[k] as Record<string, unknown>, v);
    else target[k] = v;
  }
}

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v);
    Object.freeze(value);
  }
  return value;
}

/** The effective config with every secret replaced, safe to print or log. */
export function redact(config: Readonly<Config>): Config {
  const copy = structuredClone(config) as Config;
  visitObjects(configSchema, copy, (props, obj) => {
    for (const [key, child] of Object.entries(props)) {
      if (asJson(child).secret === true && obj[key] !== undefined) obj[key] = '(redacted)';
    }
  });
  return copy;
}
