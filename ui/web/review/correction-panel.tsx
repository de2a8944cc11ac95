import { useState } from 'preact/hooks';
import { formatDuration } from '../shared/format.js';
import { type PhaseMeta, reviewApi, type Segment } from './review-api.js';

interface Props {
  caseId: string;
  caseStartMs: number;
  segment: Segment | null;
  segments: Segment[];
  phases: PhaseMeta[];
  currentMs: number | null;
  source: string | null;
  onChanged: () => Promise<void>;
}

/** "m:ss" or "h:mm:ss" since case start → ms since epoch; NaN when unreadable. */
function parseOffset(text: string, caseStartMs: number): number {
  const parts = text.trim().split(':').map(Number);
  if (parts.length < 2 || parts.length > 3 || parts.some((n) => !Number.isFinite(n) || n < 0))
    return Number.NaN;
  const seconds = parts.reduce((acc, n) => acc * 60 + n, 0);
  return caseStartMs + seconds * 1000;
}

/**
 * Corrections of the selected phase: move its start (to the video's current time or a typed
 * time) or give it another label. The model's answer stays visible beside the correction.
 */
export function CorrectionPanel(props: Props) {
  const seg = props.segment;
  // The parent remounts this panel (key) when the segment or its start or label changes, so
  // the fields start from the segment and are never reset under the user's fingers.
  const [phase, setPhase] = useState(seg?.phase ?? '');
  const [startText, setStartText] = useState(seg ? formatDuration(seg.startedAtMs - props.caseStartMs) : '');
  const [error, setError] = useState<string | null>(null);
  const [exportLink, setExportLink] = useState<{ url: string; name: string } | null>(null);
  const [busy, setBusy] = useState(false);

  if (!seg)
    return (
      <section class="panel" aria-labelledby="corrections-title">
        <h3 id="corrections-title">Phase</h3>
        <p class="notice">Select a phase on the timeline to correct it or export it as a clip.</p>
      </section>
    );
  const index = props.segments.findIndex((s) => s.segmentId === seg.segmentId);
  const canMove = index > 0;
  const run = async (what: () => Promise<unknown>) => {
    setBusy(true);
    try {
      await what();
      setError(null);
      await props.onChanged();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const moveTo = (atMs: number) => {
    if (!Number.isFinite(atMs)) {
      setError('Type the new start as m:ss or h:mm:ss from the case start.');
      return;
    }
    void run(() => reviewApi.moveBoundary(props.caseId, seg.segmentId, Math.round(atMs)));
  };
  const name = (id: string) => props.phases.find((p) => p.id === id)?.displayName ?? id;
  return (
    <section class="panel" aria-labelledby="corrections-title" data-testid="correction-panel">
      <h3 id="corrections-title">Phase: {name(seg.phase)}</h3>
      <dl class="model-vs">
        <dt>Model</dt>
        <dd data-testid="model-phase">{name(seg.modelPhase)}</dd>
        <dt>Shown</dt>
        <dd data-testid="effective-phase">
          {name(seg.phase)} {seg.corrected ? '(corrected ✎)' : '(as detected)'}
        </dd>
        <dt>Starts</dt>
        <dd data-testid="segment-start">{formatDuration(seg.startedAtMs - props.caseStartMs)}</dd>
      </dl>
      <form
        class="row"
        onSubmit={(e) => {
          e.preventDefault();
          void run(() => reviewApi.relabel(props.caseId, seg.segmentId, phase));
        }}
      >
        <label>
          Relabel as
          <select
            value={phase}
            onChange={(e) => setPhase(e.currentTarget.value)}
            data-testid="relabel-select"
          >
            {props.phases.map((p) => (
              <option key={p.id} value={p.id}>
                {p.displayName}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" disabled={busy || phase === seg.phase}>
          Relabel
        </button>
      </form>
      {canMove ? (
        <form
          class="row"
          onSubmit={(e) => {
            e.preventDefault();
            moveTo(parseOffset(startText, props.caseStartMs));
          }}
        >
          <label>
            Start (m:ss from case start)
            <input
              value={startText}
              onInput={(e) => setStartText(e.currentTarget.value)}
              data-testid="boundary-input"
            />
          </label>
          <button type="submit" disabled={busy} data-testid="move-boundary">
            Move start
          </button>
          <button
            type="button"
            disabled={busy || props.currentMs === null}
            onClick={() => props.currentMs !== null && moveTo(props.currentMs)}
          >
            Start here (video time)
          </button>
        </form>
      ) : (
        <p class="notice">The first phase starts with the case; move the next phase's start instead.</p>
      )}
      {props.source && (
        <p class="row">
          <button
            type="button"
            disabled={busy}
            onClick={() =>
              void run(async () =>
                setExportLink(await reviewApi.exportClip(props.caseId, seg.segmentId, props.source!)),
              )
            }
            data-testid="export-clip"
          >
            Export clip ({props.source})
          </button>
          {exportLink && (
            <a href={exportLink.url} download={exportLink.name} data-testid="export-link">
              Download {exportLink.name}
            </a>
          )}
        </p>
      )}
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
    </section>
  );
}
