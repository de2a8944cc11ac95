import { basename, relative, resolve, sep } from 'node:path';
import send from '@fastify/send';
import { type Static, Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import type { RecordingRow } from '../../../daemon/cases/index.js';
import { type ApiContext, actorOf } from '../context.js';
import { ApiError, ErrorBody } from '../errors.js';
import { CaseParams, MediaParams, PlaylistParams, RecordingList } from '../schemas.js';

const tags = ['media'];
const errors = { 400: ErrorBody, 401: ErrorBody, 403: ErrorBody, 404: ErrorBody };

const chunkUrl = (r: RecordingRow) =>
  `/api/cases/${encodeURIComponent(r.case_id)}/media/${encodeURIComponent(r.source_name)}/${encodeURIComponent(basename(r.path))}`;

/**
 * Recording chunks and playlists. A file is found through the recordings table only (case,
 * source, file name), and its resolved path must lie under <data_dir>/recordings, so no
 * request can name a file of its own choosing. Every access is audited.
 */
export function mediaRoutes(app: FastifyInstance, ctx: ApiContext): void {
  // One audit entry per media request, whatever its outcome (denied, missing, served, ranged).
  app.addHook('onResponse', async (req, reply) => {
    const action = req.routeOptions.config.mediaAudit;
    if (!action) return;
    const params = (req.params ?? {}) as Record<string, string | undefined>;
    const body = (req.body && typeof req.body === 'object' ? req.body : {}) as Record<string, unknown>;
    ctx.services().audit.append({
      actor: req.principal ? actorOf(req) : 'anonymous',
      action,
      target: params.id ?? null,
      ip: req.ip,
      detail: {
        status: reply.statusCode,
        ...(params.source
          ? { source: params.source }
          : typeof body.source === 'string'
            ? { source: body.source }
            : {}),
        ...(typeof body.segmentId === 'string' ? { segmentId: body.segmentId } : {}),
        ...(params.name ? { name: params.name } : {}),
        ...(req.headers.range ? { range: req.headers.range } : {}),
      },
    });
  });

  const repo = () => ctx.services().repo;
  const requireCase = (id: string) => {
    if (!repo().getCase(id)) throw new ApiError('CASE_NOT_FOUND', `no case ${id}`);
  };

  app.get<{ Params: Static<typeof CaseParams> }>(
    '/cases/:id/recordings',
    {
      config: { access: 'clinician', mediaAudit: 'media.list' },
      schema: {
        tags,
        summary: 'Recording chunks of a case, per source, with playlist URLs',
        params: CaseParams,
        response: { 200: RecordingList, ...errors },
      },
    },
    async (req) => {
      requireCase(req.params.id);
      const rows = repo().recordings(req.params.id);
      const sources = [...new Set(rows.map((r) => r.source_name))];
      return {
        items: rows.map((r) => ({
          id: r.id,
          sourceName: r.source_name,
          name: basename(r.path),
          startedAtMs: r.started_at,
          durationMs: r.duration_ms,
          sizeBytes: r.size_bytes,
          url: chunkUrl(r),
        })),
        playlists: sources.map((s) => ({
          source: s,
          url: `/api/cases/${encodeURIComponent(req.params.id)}/media/${encodeURIComponent(s)}/playlist.m3u8`,
        })),
      };
    },
  );

  app.get<{ Params: Static<typeof PlaylistParams> }>(
    '/cases/:id/media/:source/playlist.m3u8',
    {
      config: { access: 'clinician', mediaAudit: 'media.playlist' },
      schema: {
        tags,
        summary: 'An HLS (VOD) playlist of one source’s chunks',
        params: PlaylistParams,
        response: { 200: Type.String({ description: 'application/vnd.apple.mpegurl' }), ...errors },
      },
    },
    async (req, reply) => {
      requireCase(req.params.id);
      const rows = repo().recordings(req.params.id, req.params.source);
      if (rows.length === 0)
        throw new ApiError(
          'MEDIA_NOT_FOUND',
          `case ${req.params.id} has no recording of ${req.params.source}`,
        );
      const target = Math.max(1, ...rows.map((r) => Math.ceil(r.duration_ms / 1000)));
      const lines = [
        '#EXTM3U',
        '#EXT-X-VERSION:3',
        '#EXT-X-PLAYLIST-TYPE:VOD',
        `#EXT-X-TARGETDURATION:${target}`,
        '#EXT-X-MEDIA-SEQUENCE:0',
      ];
      for (const [i, r] of rows.entries()) {
        if (i > 0) lines.push('#EXT-X-DISCONTINUITY');
        lines.push(`#EXT-X-PROGRAM-DATE-TIME:${new Date(r.started_at).toISOString()}`);
        lines.push(`#EXTINF:${(r.duration_ms / 1000).toFixed(3)},`, chunkUrl(r));
      }
      lines.push('#EXT-X-ENDLIST', '');
      return reply
        .type('application/vnd.apple.mpegurl')
        .header('cache-control', 'no-store')
        .send(lines.join('\n'));
    },
  );

  app.get<{ Params: Static<typeof MediaParams> }>(
    '/cases/:id/media/:source/:name',
    {
      config: { access: 'clinician', mediaAudit: 'media.view' },
      schema: {
        tags,
        summary: 'One recording chunk; supports HTTP range requests',
        params: MediaParams,
        response: {
          200: Type.String({ description: 'video bytes' }),
          206: Type.String({ description: 'a byte range' }),
          416: ErrorBody,
          ...errors,
        },
      },
    },
    async (req, reply) => {
      const { id, source, name } = req.params;
      requireCase(id);
      const row = repo().recordingByName(id, source, name);
      if (!row) throw new ApiError('MEDIA_NOT_FOUND', `case ${id} has no chunk ${name} of ${source}`);
      const full = resolve(ctx.recordingsDir, row.path);
      const rel = relative(ctx.recordingsDir, full);
      if (rel.startsWith('..') || rel.startsWith(sep) || rel === '') {
        req.log.error({ recordingId: row.id }, 'recording path outside the recordings folder; refused');
        throw new ApiError('MEDIA_NOT_FOUND', `chunk ${name} is not available`);
      }
      const result = await send(req.raw, rel.split(sep).join('/'), {
        root: ctx.recordingsDir,
        dotfiles: 'deny',
        index: false,
        etag: true,
        lastModified: true,
        cacheControl: false,
      });
      if (result.type !== 'file') {
        const status = (result.metadata as { error?: { status?: number } }).error?.status;
        if (status === 416) {
          return reply
            .code(416)
            .header('content-range', result.headers['content-range'] ?? `bytes */${row.size_bytes}`)
            .send({
              statusCode: 416,
              code: 'RANGE_NOT_SATISFIABLE',
              error: 'Range Not Satisfiable',
              message: 'the requested byte range is outside the file',
            });
        }
        throw new ApiError('MEDIA_NOT_FOUND', `chunk ${name} is missing on disk`);
      }
      reply.code(result.statusCode);
      for (const [k, v] of Object.entries(result.headers)) reply.header(k, v);
      reply.header('cache-control', 'private, no-store');
      return reply.send(result.stream);
    },
  );
}
