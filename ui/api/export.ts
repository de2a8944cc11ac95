import { existsSync, statSync } from 'node:fs';
import { join, relative, resolve, sep } from 'node:path';
import send from '@fastify/send';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { effectiveSegments } from '../../daemon/cases/index.js';
import { ClipError, ClipWriter } from './clip-writer.js';
import type { ApiContext } from './context.js';
import { ApiError, ErrorBody } from './errors.js';
import { CaseParams, ID, MEDIA_NAME, NAME, Obj } from './schemas.js';

export const ExportBody = Obj({ segmentId: ID, source: NAME });
export const ExportReply = Obj({
  name: Type.String(),
  url: Type.String({ description: 'Download URL (clinician; supports range requests).' }),
  startedAtMs: Type.Integer({ description: 'Case time where the clip starts (a chunk boundary).' }),
  durationMs: Type.Integer(),
  sizeBytes: Type.Integer(),
});
const ExportParams = Obj({ id: ID, name: MEDIA_NAME });

const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody, 500: ErrorBody };

export interface ExportOptions {
  /** Longest one GStreamer export may run. */
  timeoutMs?: number;
}

/**
 * Clip export of one phase: the source's chunks that overlap the phase (after corrections)
 * joined by GStreamer with stream copy into <data_dir>/exports/<case>/. Exporting and
 * downloading are audited like any media access (one entry per request, `mediaAudit`).
 */
export function exportRoutes(app: FastifyInstance, ctx: ApiContext, options: ExportOptions = {}): void {
  const exportsDir = resolve(ctx.config.storage.data_dir, 'exports');
  const writer = new ClipWriter({ timeoutMs: options.timeoutMs ?? 120_000 });
  app.addHook('onClose', async () => writer.stop());
  const svc = () => ctx.services();

  app.post<{ Params: Static<typeof CaseParams>; Body: Static<typeof ExportBody> }>(
    '/cases/:id/export',
    {
      config: { access: 'clinician', mediaAudit: 'media.export' },
      schema: {
        tags: ['media'],
        summary: 'Export one phase of one source as an MP4 clip (GStreamer, stream copy)',
        params: CaseParams,
        body: ExportBody,
        response: { 200: ExportReply, ...errors },
      },
    },
    async (req) => {
      const { repo } = svc();
      const c = repo.getCase(req.params.id);
      if (!c) throw new ApiError('CASE_NOT_FOUND', `no case ${req.params.id}`);
      const segments = effectiveSegments(repo.segments(c.id), repo.corrections(c.id));
      const seg = segments.find((s) => s.segmentId === req.body.segmentId);
      if (!seg) throw new ApiError('SEGMENT_NOT_FOUND', `case ${c.id} has no segment ${req.body.segmentId}`);
      const endMs = seg.endedAtMs ?? Date.now();
      const chunks = repo
        .recordings(c.id, req.body.source)
        .filter((r) => r.started_at < endMs && r.started_at + r.duration_ms > seg.startedAtMs);
      if (chunks.length === 0) {
        throw new ApiError('MEDIA_NOT_FOUND', `no recording of ${req.body.source} covers this phase`);
      }
      const recordingsDir = resolve(ctx.config.storage.data_dir, 'recordings');
      const files = chunks.map((r) => resolve(recordingsDir, r.path));
      if (files.some((f) => !isInside(recordingsDir, f) || !existsSync(f))) {
        throw new ApiError('MEDIA_NOT_FOUND', 'a recording chunk of this phase is missing on disk');
      }
      const name = `${seg.segmentId}-${req.body.source}-${seg.startedAtMs}-${endMs}.mp4`;
      const outFile = join(exportsDir, c.id, name);
      let sizeBytes: number;
      try {
        sizeBytes = existsSync(outFile) ? statSync(outFile).size : await writer.write(files, outFile);
      } catch (err) {
        if (err instanceof ClipError) {
          req.log.error({ code: err.code, caseId: c.id }, 'clip export failed');
          throw new ApiError('INTERNAL', err.message);
        }
        throw err;
      }
      const first = chunks[0]!;
      const last = chunks.at(-1)!;
      return {
        name,
        url: `/api/cases/${encodeURIComponent(c.id)}/exports/${encodeURIComponent(name)}`,
        startedAtMs: first.started_at,
        durationMs: last.started_at + last.duration_ms - first.started_at,
        sizeBytes,
      };
    },
  );

  app.get<{ Params: Static<typeof ExportParams> }>(
    '/cases/:id/exports/:name',
    {
      config: { access: 'clinician', mediaAudit: 'media.download' },
      schema: {
        tags: ['media'],
        summary: 'Download an exported clip; supports HTTP range requests',
        params: ExportParams,
        response: { 200: Type.String({ description: 'video bytes' }), 206: Type.String(), ...errors },
      },
    },
    async (req, reply) => {
      const dir = join(exportsDir, req.params.id);
      const full = resolve(dir, req.params.name);
      if (!isInside(dir, full) || !existsSync(full)) {
        throw new ApiError('MEDIA_NOT_FOUND', `no exported clip ${req.params.name}; export it first`);
      }
      const result = await send(req.raw, req.params.name, { root: dir, dotfiles: 'deny', index: false });
      if (result.type !== 'file')
        throw new ApiError('MEDIA_NOT_FOUND', `clip ${req.params.name} is not available`);
      reply.code(result.statusCode);
      for (const [k, v] of Object.entries(result.headers)) reply.header(k, v);
      reply.header('cache-control', 'private, no-store');
      reply.header('content-disposition', `attachment; filename="${req.params.name}"`);
      return reply.send(result.stream);
    },
  );
}

function isInside(dir: string, file: string): boolean {
  const rel = relative(dir, file);
  return rel !== '' && !rel.startsWith('..') && !rel.startsWith(sep) && !rel.includes(`..${sep}`);
}
