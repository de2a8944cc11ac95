import { type TSchema, Type } from '@sinclair/typebox';
import {
  BookmarkRecord,
  CaseRecord,
  CaseStats,
  CorrectionRecord,
  EffectiveSegment,
  EventRecord,
  RecordingRecord,
  SearchResult,
  SegmentRecord,
} from '../../daemon/cases/index.js';
import { TOKEN_PATTERN } from '../auth/index.js';

/**
 * Request and response schemas of the REST API. Every object refuses unknown fields and
 * every string is bounded, so a request is either exactly right or refused with 400.
 */

export const ID = Type.String({ pattern: '^[A-Za-z0-9-]{1,64}$', description: 'An opaque id.' });
export const NAME = Type.String({
  pattern: '^[a-z0-9][a-z0-9_-]{0,62}$',
  description: 'A short identifier.',
});
/** Recording chunk file names: no separators, no leading dot, so no way out of the folder. */
export const MEDIA_NAME = Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$' });
const TIME_MS = (description: string) =>
  Type.Integer({ minimum: 0, maximum: 8_640_000_000_000, description });
const FREE_TEXT = (max: number, description: string) => Type.String({ maxLength: max, description });
const NULLABLE = <T extends TSchema>(t: T) => Type.Union([t, Type.Null()]);

export const Obj = <T extends Record<string, TSchema>>(props: T, description?: string) =>
  Type.Object(props, { additionalProperties: false, ...(description ? { description } : {}) });

export const RoleSchema = Type.Union([
  Type.Literal('display'),
  Type.Literal('clinician'),
  Type.Literal('admin'),
]);

// ---------------------------------------------------------------- params
export const CaseParams = Obj({ id: ID });
export const CaseChildParams = Obj({ id: ID, childId: ID });
export const MediaParams = Obj({ id: ID, source: NAME, name: MEDIA_NAME });
export const PlaylistParams = Obj({ id: ID, source: NAME });
export const IdParams = Obj({ id: ID });

// ---------------------------------------------------------------- auth
export const LoginBody = Obj({
  username: Type.String({ minLength: 1, maxLength: 64 }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
});
export const DisplayLoginBody = Obj({ token: Type.String({ pattern: TOKEN_PATTERN, maxLength: 64 }) });
export const UserView = Obj({
  id: Type.String(),
  username: Type.String(),
  role: RoleSchema,
  createdAtMs: Type.Integer(),
  updatedAtMs: Type.Integer(),
  disabled: Type.Boolean(),
});
export const MeView = Obj({
  user: NULLABLE(Obj({ id: Type.String(), username: Type.String(), role: RoleSchema })),
  display: NULLABLE(Obj({ id: Type.String(), name: Type.String() })),
  role: RoleSchema,
});
export const LoginReply = Obj({
  user: Obj({ id: Type.String(), username: Type.String(), role: RoleSchema }),
  token: Type.String({ description: 'Bearer token (also set as an httpOnly cookie).' }),
  expiresAtMs: Type.Integer(),
});

// ---------------------------------------------------------------- cases
export const CaseListQuery = Obj({
  procedure: Type.Optional(NAME),
  surgeonId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  fromMs: Type.Optional(TIME_MS('Cases started at or after.')),
  toMs: Type.Optional(TIME_MS('Cases started before.')),
  open: Type.Optional(Type.Boolean()),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 10000, default: 50 })),
  offset: Type.Optional(Type.Integer({ minimum: 0, maximum: 1_000_000_000, default: 0 })),
});
export const CaseList = Obj({ items: Type.Array(CaseRecord), total: Type.Integer() });

export const CaseStartBody = Obj({
  procedure: Type.Optional(NAME),
  surgeonId: Type.Optional(NULLABLE(Type.String({ minLength: 1, maxLength: 64 }))),
  label: Type.Optional(NULLABLE(FREE_TEXT(500, 'Free-text label (PHI, stays on this box).'))),
});
export const CasePatchBody = Obj({
  procedure: Type.Optional(NAME),
  surgeonId: Type.Optional(NULLABLE(Type.String({ minLength: 1, maxLength: 64 }))),
  label: Type.Optional(NULLABLE(FREE_TEXT(500, 'Free-text label (PHI, stays on this box).'))),
});
export const CaseDetail = Obj({
  case: CaseRecord,
  segments: Type.Array(EffectiveSegment, { description: 'The timeline after corrections.' }),
  modelSegments: Type.Array(SegmentRecord, { description: 'The model’s segments, unchanged.' }),
  events: Type.Array(EventRecord),
  bookmarks: Type.Array(BookmarkRecord),
  corrections: Type.Array(CorrectionRecord),
});

export const BookmarkBody = Obj({
  atMs: Type.Optional(TIME_MS('The moment; default now.')),
  note: FREE_TEXT(500, 'What happened (PHI, stays on this box).'),
});
export const BookmarkPatch = Obj({
  atMs: Type.Optional(TIME_MS('The moment.')),
  note: Type.Optional(FREE_TEXT(500, 'What happened.')),
});
export const CorrectionBody = Type.Union([
  Obj(
    { kind: Type.Literal('relabel'), segmentId: ID, correctedPhase: NAME },
    'Name another phase for a segment.',
  ),
  Obj(
    {
      kind: Type.Literal('move_boundary'),
      segmentId: ID,
      correctedAtMs: TIME_MS('New start of the segment.'),
    },
    'Move where a segment starts (and the previous one ends).',
  ),
]);
export const CorrectionPatch = Obj({
  correctedPhase: Type.Optional(NAME),
  correctedAtMs: Type.Optional(TIME_MS('New start of the segment.')),
});

export const StatsReply = Type.Composite([
  Type.Omit(CaseStats, ['phases']),
  Obj({ items: CaseStats.properties.phases }),
]);
export const HistoryStatsQuery = Obj({
  procedure: NAME,
  surgeonId: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
});
export const HistoryStatsReply = Obj({
  procedure: Type.String(),
  surgeonId: NULLABLE(Type.String()),
  cases: Type.Integer(),
  items: Type.Array(
    Obj({
      phase: Type.String(),
      cases: Type.Integer(),
      medianMs: Type.Number(),
      p10Ms: Type.Number(),
      p90Ms: Type.Number(),
    }),
  ),
});

export const SearchQuery = Obj({
  q: Type.String({ minLength: 1, maxLength: 200 }),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 200, default: 50 })),
});
export const SearchReply = Obj({ items: Type.Array(SearchResult) });

export const RecordingList = Obj({
  items: Type.Array(RecordingRecord),
  playlists: Type.Array(Obj({ source: Type.String(), url: Type.String() })),
});

// ---------------------------------------------------------------- sources, model, live
export const SourcesReply = Obj({
  items: Type.Array(
    Obj({
      name: Type.String(),
      role: Type.Union([Type.Literal('endoscope'), Type.Literal('room')]),
      state: Type.String(),
      outOfBody: Type.Boolean(),
      recording: Type.Boolean(),
      fpsIn: Type.Number(),
    }),
  ),
});
export const ModelReply = Obj({
  procedure: NULLABLE(Type.String()),
  version: NULLABLE(Type.String()),
  backend: NULLABLE(Type.String()),
  outOfBodyClass: NULLABLE(Type.String()),
  phases: Type.Array(
    Obj({
      id: Type.String(),
      displayName: Type.String(),
      color: Type.String(),
      typicalDurationS: Type.Number(),
    }),
  ),
});

// ---------------------------------------------------------------- admin
export const UserCreateBody = Obj({
  username: Type.String({ pattern: '^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$' }),
  password: Type.String({ minLength: 1, maxLength: 256 }),
  role: RoleSchema,
});
export const UserPatchBody = Obj({
  role: Type.Optional(RoleSchema),
  disabled: Type.Optional(Type.Boolean()),
  password: Type.Optional(Type.String({ minLength: 1, maxLength: 256 })),
});
export const UserList = Obj({ items: Type.Array(UserView) });
export const DisplayView = Obj({
  id: Type.String(),
  name: Type.String(),
  createdBy: Type.String(),
  createdAtMs: Type.Integer(),
  lastUsedAtMs: NULLABLE(Type.Integer()),
  revoked: Type.Boolean(),
});
export const DisplayPairBody = Obj({ name: Type.String({ minLength: 1, maxLength: 64 }) });
export const DisplayPairReply = Obj({
  display: DisplayView,
  token: Type.String({ description: 'Shown once; open /display#token=<token> on the screen.' }),
});
export const DisplayList = Obj({ items: Type.Array(DisplayView) });
export const AuditQuerySchema = Obj({
  actor: Type.Optional(Type.String({ minLength: 1, maxLength: 80 })),
  action: Type.Optional(Type.String({ pattern: '^[a-z_.]{1,64}$' })),
  target: Type.Optional(Type.String({ minLength: 1, maxLength: 64 })),
  fromMs: Type.Optional(TIME_MS('Entries at or after.')),
  toMs: Type.Optional(TIME_MS('Entries before.')),
  beforeSeq: Type.Optional(Type.Integer({ minimum: 1 })),
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100 })),
});
export const AuditList = Obj({
  items: Type.Array(
    Obj({
      seq: Type.Integer(),
      atMs: Type.Integer(),
      actor: Type.String(),
      action: Type.String(),
      target: NULLABLE(Type.String()),
      ip: NULLABLE(Type.String()),
      detail: NULLABLE(Type.Record(Type.String(), Type.Unknown())),
    }),
  ),
});
export const DeviceReply = Obj({
  site: Type.String(),
  deviceId: Type.String(),
  roomName: Type.String(),
  version: Type.String(),
  uptimeS: Type.Number(),
  openCaseId: NULLABLE(Type.String()),
  schemaVersion: Type.Integer(),
});
export const ConfigReply = Type.Record(Type.String(), Type.Unknown(), {
  description: 'The running configuration, secrets redacted.',
});
export const Empty = Obj({});
