import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { BookmarkRecord, CorrectionRecord } from '../../../daemon/cases/index.js';
import { type ApiContext, actorOf } from '../context.js';
import { ErrorBody } from '../errors.js';
import {
  BookmarkBody,
  BookmarkPatch,
  CaseChildParams,
  CaseParams,
  CorrectionBody,
  CorrectionPatch,
  Empty,
} from '../schemas.js';

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 422: ErrorBody };

/** Bookmarks and corrections: clinicians annotate; the model's output stays beside every correction. */
export function timelineRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const annotations = () => ctx.services().annotations;

  app.post<{ Params: Static<typeof CaseParams>; Body: Static<typeof BookmarkBody> }>(
    '/cases/:id/bookmarks',
    {
      config: { access: 'clinician' },
      schema: {
        tags: ['bookmarks'],
        summary: 'Bookmark a moment (default: now)',
        params: CaseParams,
        body: BookmarkBody,
        response: { 201: BookmarkRecord, ...errors },
      },
    },
    async (req, reply) =>
      reply.code(201).send(annotations().addBookmark(actorOf(req), req.params.id, req.body, req.ip)),
  );

  app.patch<{ Params: Static<typeof CaseChildParams>; Body: Static<typeof BookmarkPatch> }>(
    '/cases/:id/bookmarks/:childId',
    {
      config: { access: 'clinician' },
      schema: {
        tags: ['bookmarks'],
        summary: 'Change a bookmark',
        params: CaseChildParams,
        body: BookmarkPatch,
        response: { 200: BookmarkRecord, ...errors },
      },
    },
    async (req) =>
      annotations().updateBookmark(actorOf(req), req.params.id, req.params.childId, req.body, req.ip),
  );

  app.delete<{ Params: Static<typeof CaseChildParams> }>(
    '/cases/:id/bookmarks/:childId',
    {
      config: { access: 'clinician' },
      schema: {
        tags: ['bookmarks'],
        summary: 'Delete a bookmark',
        params: CaseChildParams,
        response: { 204: Empty, ...errors },
      },
    },
    async (req, reply) => {
      annotations().deleteBookmark(actorOf(req), req.params.id, req.params.childId, req.ip);
      return reply.code(204).send();
    },
  );

  app.post<{ Params: Static<typeof CaseParams>; Body: Static<typeof CorrectionBody> }>(
    '/cases/:id/corrections',
    {
      config: { access: 'clinician' },
      schema: {
        tags: ['corrections'],
        summary: 'Relabel a segment or move its start',
        params: CaseParams,
        body: CorrectionBody,
        response: { 201: CorrectionRecord, ...errors },
      },
    },
    async (req, reply) => {
      const b = req.body;
      const c = annotations().addCorrection(
        actorOf(req),
        req.params.id,
        b.kind === 'relabel'
          ? { kind: 'relabel', segmentId: b.segmentId, phase: b.correctedPhase }
          : { kind: 'move_boundary', segmentId: b.segmentId, atMs: b.correctedAtMs },
        req.ip,
      );
      return reply.code(201).send(c);
    },
  );

  app.patch<{ Params: Static<typeof CaseChildParams>; Body: Static<typeof CorrectionPatch> }>(
    '/cases/:id/corrections/:childId',
    {
      config: { access: 'clinician' },
      schema: {
        tags: ['corrections'],
        summary: 'Change a correction',
        params: CaseChildParams,
        body: CorrectionPatch,
        response: { 200: CorrectionRecord, ...errors },
      },
    },
    async (req) =>
      annotations().updateCorrection(
        actorOf(req),
        req.params.id,
        req.params.childId,
        { phase: req.body.correctedPhase, atMs: req.body.correctedAtMs },
        req.ip,
      ),
  );

  app.delete<{ Params: Static<typeof CaseChildParams> }>(
    '/cases/:id/corrections/:childId',
    {
      config: { access: 'clinician' },
      schema: {
        tags: ['corrections'],
        summary: 'Withdraw a correction (kept in the audit log)',
        params: CaseChildParams,
        response: { 204: Empty, ...errors },
      },
    },
    async (req, reply) => {
      annotations().deleteCorrection(actorOf(req), req.params.id, req.params.childId, req.ip);
      return reply.code(204).send();
    },
  );
}
