import type { Static } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import {
  type CaseRecord,
  CaseRecord as CaseRecordSchema,
  caseStats,
  effectiveSegments,
  searchCases,
} from '../../../daemon/cases/index.js';
import { quantile } from '../../../daemon/cases/quantiles.js';
import { type ApiContext, actorOf, auditRead } from '../context.js';
import { ApiError, ErrorBody } from '../errors.js';
import {
  CaseDetail,
  CaseList,
  CaseListQuery,
  CaseParams,
  CasePatchBody,
  CaseStartBody,
  HistoryStatsQuery,
  HistoryStatsReply,
  SearchQuery,
  SearchReply,
  StatsReply,
} from '../schemas.js';

const tags = ['cases'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

export function caseRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const svc = () => ctx.services();
  const phaseOrder = () => svc().engine.model?.phases.map((p) => p.id) ?? [];
  const requireCase = (id: string): CaseRecord => {
    const c = svc().repo.getCase(id);
    if (!c) throw new ApiError('CASE_NOT_FOUND', `no case ${id}`);
    return c;
  };

  app.get<{ Querystring: Static<typeof CaseListQuery> }>(
    '/cases',
    {
      config: { access: 'clinician' },
      schema: {
        tags,
        summary: 'List cases, newest first, with filters and paging',
        querystring: CaseListQuery,
        response: { 200: CaseList, ...errors },
      },
    },
    async (req) => {
      const q = req.query;
      const limit = Math.min(q.limit ?? 50, ctx.config.cases.page_size_max);
      const r = svc().repo.listCases({ ...q, limit, offset: q.offset ?? 0 });
      auditRead(ctx, req, 'case.list', null, { count: r.items.length });
      return r;
    },
  );

  app.post<{ Body: Static<typeof CaseStartBody> }>(
    '/cases',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Start a case (one open case per room)',
        body: CaseStartBody,
        response: { 201: CaseRecordSchema, 409: ErrorBody, ...errors },
      },
    },
    async (req, reply) => {
      const c = svc().engine.startCase(actorOf(req), req.body, req.ip);
      return reply.code(201).send(c);
    },
  );

  app.get<{ Params: Static<typeof CaseParams> }>(
    '/cases/:id',
    {
      config: { access: 'clinician' },
      schema: {
        tags,
        summary: 'A case with its timeline, bookmarks and corrections',
        params: CaseParams,
        response: { 200: CaseDetail, ...errors },
      },
    },
    async (req) => {
      const c = requireCase(req.params.id);
      const { repo } = svc();
      const segments = repo.segments(c.id);
      const corrections = repo.corrections(c.id);
      auditRead(ctx, req, 'timeline.view', c.id);
      return {
        case: c,
        segments: effectiveSegments(segments, corrections),
        modelSegments: segments,
        events: repo.events(c.id),
        bookmarks: repo.bookmarks(c.id),
        corrections,
      };
    },
  );

  app.patch<{ Params: Static<typeof CaseParams>; Body: Static<typeof CasePatchBody> }>(
    '/cases/:id',
    {
      config: { access: 'clinician' },
      schema: {
        tags,
        summary: 'Change a case’s procedure, surgeon or label',
        params: CaseParams,
        body: CasePatchBody,
        response: { 200: CaseRecordSchema, ...errors },
      },
    },
    async (req) => svc().engine.updateCase(actorOf(req), req.params.id, req.body, req.ip),
  );

  app.post<{ Params: Static<typeof CaseParams> }>(
    '/cases/:id/stop',
    {
      config: { access: 'admin' },
      schema: {
        tags,
        summary: 'Stop the open case',
        params: CaseParams,
        response: { 200: CaseRecordSchema, 409: ErrorBody, ...errors },
      },
    },
    async (req) => svc().engine.stopCase(actorOf(req), req.params.id, req.ip),
  );

  app.get<{ Params: Static<typeof CaseParams> }>(
    '/cases/:id/stats',
    {
      config: { access: 'clinician' },
      schema: {
        tags,
        summary: 'Time per phase against this room’s history (and the surgeon’s)',
        params: CaseParams,
        response: { 200: StatsReply, ...errors },
      },
    },
    async (req) => {
      requireCase(req.params.id);
      const s = caseStats(svc().repo, svc().history, req.params.id, phaseOrder(), Date.now())!;
      auditRead(ctx, req, 'stats.view', req.params.id);
      const { phases, ...rest } = s;
      return { ...rest, items: phases };
    },
  );

  app.get<{ Querystring: Static<typeof HistoryStatsQuery> }>(
    '/stats',
    {
      config: { access: 'clinician' },
      schema: {
        tags,
        summary: 'Per-phase duration distribution of past cases of a procedure',
        querystring: HistoryStatsQuery,
        response: { 200: HistoryStatsReply, ...errors },
      },
    },
    async (req) => {
      const { procedure, surgeonId } = req.query;
      const history = svc().history.durations(procedure, surgeonId);
      const phases = new Set<string>(phaseOrder());
      for (const h of history) for (const p of h.keys()) phases.add(p);
      const items = [...phases].flatMap((phase) => {
        const v = history.map((h) => h.get(phase)).filter((d): d is number => d !== undefined);
        return v.length === 0
          ? []
          : [
              {
                phase,
                cases: v.length,
                medianMs: quantile(v, 0.5)!,
                p10Ms: quantile(v, 0.1)!,
                p90Ms: quantile(v, 0.9)!,
              },
            ];
      });
      return { procedure, surgeonId: surgeonId ?? null, cases: history.length, items };
    },
  );

  app.get<{ Querystring: Static<typeof SearchQuery> }>(
    '/search',
    {
      config: { access: 'clinician' },
      schema: {
        tags,
        summary: 'Full-text search over phases, events, bookmark notes, labels and dates',
        querystring: SearchQuery,
        response: { 200: SearchReply, ...errors },
      },
    },
    async (req) => {
      const items = searchCases(svc().store, req.query.q, { cases: req.query.limit ?? 50, hitsPerCase: 20 });
      // The query text may name a patient: record only how many cases matched.
      auditRead(ctx, req, 'search', null, { cases: items.length });
      return { items };
    },
  );
}
