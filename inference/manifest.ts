import { type Static, Type } from '@sinclair/typebox';
import { Ajv } from 'ajv';
import { ModelPackageError } from './errors.js';

const PhaseSchema = Type.Object(
  {
    id: Type.String({
      pattern: '^[a-z0-9][a-z0-9_-]{0,62}$',
      description: 'Stable phase id, stored in timelines.',
    }),
    displayName: Type.String({ minLength: 1, maxLength: 80 }),
    color: Type.String({ pattern: '^#[0-9a-fA-F]{6}$', description: 'CSS colour #rrggbb.' }),
    typicalDurationS: Type.Number({ exclusiveMinimum: 0, maximum: 36000 }),
  },
  { additionalProperties: false },
);

/** The manifest of a model package (`manifest.json`). README.md documents every field. */
export const ManifestSchema = Type.Object(
  {
    format: Type.Literal('orsight-model-package'),
    formatVersion: Type.Literal(1),
    name: Type.String({ pattern: '^[a-z0-9][a-z0-9_.-]{0,62}$' }),
    version: Type.String({ pattern: '^\\d+\\.\\d+\\.\\d+([-+][0-9A-Za-z.-]+)?$' }),
    procedure: Type.String({ pattern: '^[a-z0-9][a-z0-9_-]{0,62}$' }),
    description: Type.Optional(Type.String()),
    createdAt: Type.Optional(Type.String()),
    model: Type.Object(
      {
        file: Type.String({ minLength: 1 }),
        kind: Type.Union([Type.Literal('tfjs-layers'), Type.Literal('tfjs-graph')]),
        /** Graph models: the input / output node names when there are several. */
        inputName: Type.Optional(Type.String()),
        outputName: Type.Optional(Type.String()),
        /** What the model outputs per class: probabilities (softmax applied) or logits. */
        outputs: Type.Optional(Type.Union([Type.Literal('probabilities'), Type.Literal('logits')])),
      },
      { additionalProperties: false },
    ),
    input: Type.Object(
      {
        width: Type.Integer({ minimum: 8, maximum: 1024 }),
        height: Type.Integer({ minimum: 8, maximum: 1024 }),
        channels: Type.Literal(3),
        colorOrder: Type.Union([Type.Literal('RGB'), Type.Literal('BGR')]),
        layout: Type.Union([Type.Literal('NHWC'), Type.Literal('NCHW')]),
        normalization: Type.Object(
          {
            scale: Type.Number({ exclusiveMinimum: 0 }),
            mean: Type.Array(Type.Number(), { minItems: 3, maxItems: 3 }),
            std: Type.Array(Type.Number({ exclusiveMinimum: 0 }), { minItems: 3, maxItems: 3 }),
          },
          { additionalProperties: false },
        ),
      },
      { additionalProperties: false },
    ),
    fps: Type.Number({ exclusiveMinimum: 0, maximum: 60 }),
    classes: Type.Array(Type.String({ minLength: 1 }), { minItems: 2, maxItems: 256 }),
    phases: Type.Array(PhaseSchema, { minItems: 1, maxItems: 64 }),
    startPhases: Type.Array(Type.String(), { minItems: 1 }),
    transitions: Type.Record(Type.String(), Type.Array(Type.String())),
    outOfBodyClass: Type.Optional(Type.String({ minLength: 1 })),
    boundaryLagS: Type.Optional(Type.Number({ minimum: 0, maximum: 30 })),
    files: Type.Record(Type.String(), Type.String({ pattern: '^[0-9a-f]{64}$' })),
    training: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
    evaluation: Type.Optional(Type.Record(Type.String(), Type.Unknown())),
  },
  { additionalProperties: false },
);

export type ModelManifest = Static<typeof ManifestSchema>;

const ajv = new Ajv({ allErrors: true, strict: false });
const validateShape = ajv.compile<ModelManifest>(ManifestSchema);

/**
 * Checks a parsed manifest: its shape, then the meaning (phases named by classes,
 * transitions and start phases exist, the out-of-body class is not a phase, no duplicates).
 */
export function checkManifest(value: unknown, dir?: string): ModelManifest {
  if (!validateShape(value)) {
    const lines = (validateShape.errors ?? []).map(
      (e) => `manifest${e.instancePath.replace(/\//g, '.') || ''}: ${e.message ?? 'invalid'}`,
    );
    throw new ModelPackageError('MANIFEST_INVALID', [...new Set(lines)].join('; '), dir);
  }
  const m = value;
  const ids = m.phases.map((p) => p.id);
  const dup = ids.find((id, i) => ids.indexOf(id) !== i);
  if (dup)
    throw new ModelPackageError('MANIFEST_INVALID', `manifest.phases: phase "${dup}" is listed twice`, dir);
  const known = new Set(ids);
  const unknown = (where: string, id: string) =>
    new ModelPackageError(
      'UNKNOWN_PHASE',
      `${where} names unknown phase "${id}" (phases: ${ids.join(', ')})`,
      dir,
    );
  for (const [from, tos] of Object.entries(m.transitions)) {
    if (!known.has(from)) throw unknown(`manifest.transitions`, from);
    for (const to of tos) {
      if (!known.has(to)) throw unknown(`manifest.transitions.${from}`, to);
      if (to === from)
        throw new ModelPackageError(
          'MANIFEST_INVALID',
          `manifest.transitions.${from}: a phase cannot transition to itself`,
          dir,
        );
    }
  }
  for (const s of m.startPhases) if (!known.has(s)) throw unknown('manifest.startPhases', s);
  const oob = m.outOfBodyClass;
  if (oob !== undefined && known.has(oob)) {
    throw new ModelPackageError(
      'MANIFEST_INVALID',
      `manifest.outOfBodyClass "${oob}" must not also be a phase`,
      dir,
    );
  }
  const expected = new Set([...ids, ...(oob ? [oob] : [])]);
  const classes = new Set(m.classes);
  if (classes.size !== m.classes.length)
    throw new ModelPackageError('MANIFEST_INVALID', 'manifest.classes lists a class twice', dir);
  for (const c of m.classes) if (!expected.has(c)) throw unknown('manifest.classes', c);
  for (const e of expected) {
    if (!classes.has(e))
      throw new ModelPackageError(
        'MANIFEST_INVALID',
        `manifest.classes is missing "${e}" (one output per phase${oob ? ' and the out-of-body class' : ''})`,
        dir,
      );
  }
  if (!(m.model.file in m.files)) {
    throw new ModelPackageError(
      'FILE_NOT_LISTED',
      `manifest.files has no sha256 for the model file "${m.model.file}"`,
      dir,
    );
  }
  return m;
}
