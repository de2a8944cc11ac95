import { useCallback, useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { fallbackPhase, formatDateTime, formatDuration } from '../shared/format.js';
import { BookmarkPanel } from './bookmark-panel.js';
import { ChunkedVideo } from './chunked-video.js';
import { CorrectionPanel } from './correction-panel.js';
import { PhaseTimeline } from './phase-timeline.js';
import { type CaseDetail, type CaseStats, type PhaseMeta, type Recording, reviewApi } from './review-api.js';
import { ShortcutHelp, useShortcuts } from './shortcuts.js';
import { StatsTable } from './stats-table.js';

interface Loaded {
  detail: CaseDetail;
  recordings: Recording[];
  stats: CaseStats | null;
  phases: PhaseMeta[];
}

/**
 * One case: the video with the phase timeline under it (click a phase → the video seeks to
 * its start and plays), source switch, bookmarks, corrections, durations against history.
 */
export function CasePage({ caseId, jumpToMs }: { caseId: string; jumpToMs: number | null }) {
  const [data, setData] = useState<Loaded | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [source, setSource] = useState<string | null>(null);
  const [currentMs, setCurrentMs] = useState<number | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [helpOpen, setHelpOpen] = useState(false);
  const videoRef = useRef<HTMLVideoElement>(null);
  const playerRef = useRef<ChunkedVideo | null>(null);
  const noteRef = useRef<HTMLInputElement>(null);

  const reload = useCallback(async () => {
    try {
      const [detail, recordings, stats, phases] = await Promise.all([
        reviewApi.caseDetail(caseId),
        reviewApi.recordings(caseId).catch(() => [] as Recording[]),
        reviewApi.stats(caseId).catch(() => null),
        reviewApi.phases().catch(() => [] as PhaseMeta[]),
      ]);
      setData({ detail, recordings, stats, phases });
      setError(null);
    } catch (err) {
      setError((err as Error).message);
    }
  }, [caseId]);

  useEffect(() => {
    void reload();
  }, [reload]);

  const sources = useMemo(
    () => [...new Set((data?.recordings ?? []).map((r) => r.sourceName))].sort(),
    [data?.recordings],
  );
  const activeSource = source ?? sources[0] ?? null;

  // The player lives as long as the <video> element.
  useEffect(() => {
    const video = videoRef.current;
    if (!video) return;
    const player = new ChunkedVideo(video, setCurrentMs);
    playerRef.current = player;
    const detach = player.attach();
    return () => {
      detach();
      playerRef.current = null;
    };
  }, [data !== null]);

  useEffect(() => {
    const player = playerRef.current;
    if (!player || !data) return;
    const chunks = data.recordings.filter((r) => r.sourceName === activeSource);
    player.setChunks(chunks, player.currentMs() ?? jumpToMs ?? null);
    // Only when the source or the set of chunks changes, not on every reload of the timeline.
  }, [activeSource, data?.recordings]);

  const seek = useCallback((atMs: number, play = true) => playerRef.current?.seek(atMs, play), []);
  const segments = data?.detail.segments ?? [];

  useShortcuts({
    togglePlay: () => playerRef.current?.togglePlay(),
    skip: (deltaMs) => {
      const now = playerRef.current?.currentMs();
      if (now != null) seek(now + deltaMs, !videoRef.current?.paused);
    },
    phase: (dir) => {
      const now = playerRef.current?.currentMs() ?? data?.detail.case.startedAtMs ?? 0;
      const starts = segments.map((s) => s.startedAtMs).sort((a, b) => a - b);
      const target =
        dir > 0 ? starts.find((t) => t > now + 500) : [...starts].reverse().find((t) => t < now - 1500);
      if (target !== undefined) seek(target);
    },
    bookmark: () => noteRef.current?.focus(),
    help: () => setHelpOpen((o) => !o),
  });

  if (error)
    return (
      <p class="error" role="alert" data-testid="case-error">
        {error}
      </p>
    );
  if (!data) return <p class="notice">Loading case…</p>;
  const c = data.detail.case;
  const endMs =
    c.endedAtMs ?? Math.max(c.startedAtMs + 1, ...segments.map((s) => s.endedAtMs ?? s.startedAtMs));
  const phaseMeta = new Map(data.phases.map((p) => [p.id, p]));
  for (const seg of segments) {
    for (const id of [seg.phase, seg.modelPhase])
      if (!phaseMeta.has(id)) phaseMeta.set(id, fallbackPhase(id));
  }
  const phaseList = [...phaseMeta.values()];
  const selectedSegment = segments.find((s) => s.segmentId === selected) ?? null;

  return (
    <article class="case-page" data-testid="case-page" data-case-id={c.id}>
      <header class="case-head">
        <h2>
          {c.procedure} · {formatDateTime(c.startedAtMs)}
        </h2>
        <p class="notice">
          {c.surgeonId ? `Surgeon ${c.surgeonId} · ` : ''}
          {c.endedAtMs ? `duration ${formatDuration(c.endedAtMs - c.startedAtMs)}` : 'case still open'}
          {c.label ? ` · ${c.label}` : ''}
        </p>
      </header>
      <div class="case-grid">
        <section class="player panel" aria-label="Video">
          {sources.length > 1 && (
            <fieldset class="row source-switch">
              <legend>Source</legend>
              {sources.map((s) => (
                <button
                  key={s}
                  type="button"
                  aria-pressed={s === activeSource}
                  onClick={() => setSource(s)}
                  data-testid={`source-${s}`}
                >
                  {s}
                </button>
              ))}
            </fieldset>
          )}
          {/* biome-ignore lint/a11y/useMediaCaption: surgical video has no speech to caption */}
          <video
            ref={videoRef}
            controls
            preload="metadata"
            data-testid="video"
            aria-label={`Recording, source ${activeSource ?? 'none'}`}
          />
          {sources.length === 0 && <p class="notice">No recording for this case.</p>}
          <PhaseTimeline
            startMs={c.startedAtMs}
            endMs={endMs}
            segments={segments}
            events={data.detail.events}
            bookmarks={data.detail.bookmarks}
            phases={phaseMeta}
            currentMs={currentMs}
            selected={selected}
            onSeek={seek}
            onSelect={setSelected}
          />
          <p class="row">
            <span class="notice" data-testid="current-time">
              {currentMs !== null
                ? `at ${formatDuration(currentMs - c.startedAtMs)} (${formatDateTime(currentMs)})`
                : ''}
            </span>
            <button type="button" onClick={() => setHelpOpen((o) => !o)} aria-expanded={helpOpen}>
              Keyboard shortcuts (?)
            </button>
          </p>
          {helpOpen && <ShortcutHelp />}
        </section>
        <aside class="side">
          <BookmarkPanel
            caseId={c.id}
            caseStartMs={c.startedAtMs}
            bookmarks={data.detail.bookmarks}
            currentMs={currentMs}
            noteRef={noteRef}
            onSeek={seek}
            onChanged={reload}
          />
          <CorrectionPanel
            key={
              selectedSegment
                ? `${selectedSegment.segmentId}:${selectedSegment.startedAtMs}:${selectedSegment.phase}`
                : 'none'
            }
            caseId={c.id}
            caseStartMs={c.startedAtMs}
            segment={selectedSegment}
            segments={segments}
            phases={phaseList}
            currentMs={currentMs}
            source={activeSource}
            onChanged={reload}
          />
        </aside>
      </div>
      <StatsTable stats={data.stats} phases={phaseMeta} />
    </article>
  );
}
