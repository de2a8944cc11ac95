import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { Store } from '../daemon/store/index.js';
import { ErrorBody } from '../ui/api/errors.js';
import { outboxStats } from './outbox.js';

const Nullable = <T extends ReturnType<typeof Type.Number>>(t: T) => Type.Union([t, Type.Null()]);

export const SyncStatusReply = Type.Object(
  {
    state: Type.String({ description: 'disabled | connecting | connected | stopped' }),
    inFlight: Type.Integer({ description: 'Outbox messages sent and not yet acknowledged by headquarters.' }),
    pending: Type.Integer({ description: 'Items headquarters has not acknowledged yet.' }),
    pendingRecords: Type.Integer(),
    pendingFiles: Type.Integer(),
    sent: Type.Integer({ description: 'Pending items sent at least once.' }),
    acked: Type.Integer({ description: 'Items headquarters acknowledged as durably stored.' }),
    dropped: Type.Record(Type.String(), Type.Integer(), {
      description: 'Items dropped by the disk policy, by reason.',
    }),
    oldestPendingAtMs: Nullable(Type.Number()),
    lastAckAtMs: Nullable(Type.Number()),
    casesSynced: Type.Integer(),
    uploading: Type.Union([
      Type.Object({ fileId: Type.String(), ackedBytes: Type.Integer(), sizeBytes: Type.Integer() }),
      Type.Null(),
    ]),
  },
  { additionalProperties: false },
);
export type SyncStatus = Static<typeof SyncStatusReply>;

/** What the running sync part knows beyond the outbox table. */
export interface SyncLinkState {
  state: string;
  inFlight: number;
  uploading: SyncStatus['uploading'];
}

/**
 * `GET /api/sync/status` (admin): the outbox as `orsight sync status` shows it plus the link
 * state, for the admin page. Read from the database, so it answers while the broker is down.
 */
export function syncStatusRoutes(store: () => Store, link: () => SyncLinkState) {
  return (api: FastifyInstance): void => {
    api.get(
      '/sync/status',
      {
        config: { access: 'admin' },
        schema: {
          tags: ['sync'],
          summary: 'Sync to headquarters: link state, outbox depth and age, last acknowledgement, drops',
          response: { 200: SyncStatusReply, 401: ErrorBody, 403: ErrorBody },
        },
      },
      async (): Promise<SyncStatus> => ({ ...link(), ...outboxStats(store().db) }),
    );
  };
}
