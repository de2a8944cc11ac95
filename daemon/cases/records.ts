import { type Static, Type } from '@sinclair/typebox';

/**
 * The timeline records as the API and the live channel show them. One schema per record:
 * the TypeScript type, the response serialiser and the OpenAPI document all come from here.
 */

const Id = Type.String({ minLength: 1, maxLength: 64, description: 'Opaque id (uuid).' });
const Ms = (description: string) => Type.Integer({ description, minimum: 0 });
const NullableMs = (description: string) => Type.Union([Ms(description), Type.Null()]);
const NullableStr = (description: string) =>
  Type.Union([Type.String({ maxLength: 10000 }), Type.Null()], { description });

export const CaseRecord = Type.Object(
  {
    id: Id,
    procedure: Type.String({ description: 'Procedure type, e.g. lap_chole.' }),
    surgeonId: NullableStr('Local surgeon id (no name), or null.'),
    label: Type.Optional(NullableStr('Free-text label. PHI: stays on this box, never synced.')),
    startedAtMs: Ms('Case start, ms since epoch.'),
    endedAtMs: NullableMs('Case end, or null while open.'),
    endReason: NullableStr('manual, auto_out_of_body, auto_signal_lost, or null while open.'),
    startedBy: Type.String({ description: "'auto' or the user id who started it." }),
    modelVersion: NullableStr('Model version when the case started.'),
    updatedAtMs: Ms('Last change, ms since epoch.'),
  },
  { additionalProperties: false },
);
export type CaseRecord = Static<typeof CaseRecord>;

export const SegmentRecord = Type.Object(
  {
    id: Id,
    phase: Type.String({ description: 'Phase id as the model reported it.' }),
    startedAtMs: Ms('Segment start.'),
    endedAtMs: NullableMs('Segment end, or null for the running segment.'),
    confidence: Type.Union([Type.Number(), Type.Null()]),
    modelVersion: NullableStr('Model that produced the segment.'),
  },
  { additionalProperties: false },
);
export type SegmentRecord = Static<typeof SegmentRecord>;

export const EffectiveSegment = Type.Object(
  {
    segmentId: Id,
    phase: Type.String({ description: 'Phase after clinician corrections.' }),
    modelPhase: Type.String({ description: 'Phase the model reported.' }),
    startedAtMs: Ms('Start after corrections.'),
    endedAtMs: NullableMs('End after corrections, null while running.'),
    corrected: Type.Boolean({ description: 'A correction changed this segment.' }),
  },
  { additionalProperties: false },
);
export type EffectiveSegment = Static<typeof EffectiveSegment>;

export const EventRecord = Type.Object(
  {
    id: Id,
    atMs: Ms('When it happened.'),
    type: Type.String({
      description:
        'case_started, case_stopped, source_lost, source_recovered, out_of_body_in, out_of_body_out, recording_gap, model_changed, case_resumed, phase_retracted (data: phase, resumedPhase, segmentId)',
    }),
    sourceName: NullableStr('Camera source, when the event concerns one.'),
    data: Type.Union([Type.Record(Type.String(), Type.Unknown()), Type.Null()]),
  },
  { additionalProperties: false },
);
export type EventRecord = Static<typeof EventRecord>;

export const BookmarkRecord = Type.Object(
  {
    id: Id,
    atMs: Ms('The moment bookmarked.'),
    note: Type.String({ description: 'Free text. PHI: stays on this box.' }),
    createdBy: Type.String(),
    createdAtMs: Ms('Creation time.'),
    updatedAtMs: Ms('Last change.'),
  },
  { additionalProperties: false },
);
export type BookmarkRecord = Static<typeof BookmarkRecord>;

export const CorrectionKind = Type.Union([Type.Literal('move_boundary'), Type.Literal('relabel')]);
export type CorrectionKind = Static<typeof CorrectionKind>;

export const CorrectionRecord = Type.Object(
  {
    id: Id,
    segmentId: Id,
    kind: CorrectionKind,
    modelPhase: NullableStr('relabel: the phase the model reported.'),
    correctedPhase: NullableStr('relabel: the phase the clinician chose.'),
    modelAtMs: NullableMs('move_boundary: where the model put the segment start.'),
    correctedAtMs: NullableMs('move_boundary: where the clinician put it.'),
    createdBy: Type.String(),
    createdAtMs: Ms('Creation time.'),
    updatedAtMs: Ms('Last change.'),
  },
  { additionalProperties: false },
);
export type CorrectionRecord = Static<typeof CorrectionRecord>;

export const RecordingRecord = Type.Object(
  {
    id: Id,
    sourceName: Type.String(),
    name: Type.String({ description: 'File name, used in the media URL.' }),
    startedAtMs: Ms('Chunk start.'),
    durationMs: Type.Integer({ minimum: 0 }),
    sizeBytes: Type.Integer({ minimum: 0 }),
    url: Type.String({ description: 'Where to fetch the chunk (supports HTTP range requests).' }),
  },
  { additionalProperties: false },
);
export type RecordingRecord = Static<typeof RecordingRecord>;
