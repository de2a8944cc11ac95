import type { RefObject } from 'preact';
import { useState } from 'preact/hooks';
import { formatDuration } from '../shared/format.js';
import { type Bookmark, reviewApi } from './review-api.js';

interface Props {
  caseId: string;
  caseStartMs: number;
  bookmarks: Bookmark[];
  currentMs: number | null;
  noteRef: RefObject<HTMLInputElement | null>;
  onSeek: (atMs: number) => void;
  onChanged: () => Promise<void>;
}

/** Bookmarks: add one at the video's current time with a note; jump to or delete one. */
export function BookmarkPanel(props: Props) {
  const [note, setNote] = useState('');
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const at = props.currentMs ?? props.caseStartMs;
  const add = async (e: Event) => {
    e.preventDefault();
    setBusy(true);
    try {
      await reviewApi.addBookmark(props.caseId, Math.round(at), note.trim());
      setNote('');
      setError(null);
      await props.onChanged();
    } catch (err) {
      setError((err as Error).message);
    } finally {
      setBusy(false);
    }
  };
  const remove = async (id: string) => {
    try {
      await reviewApi.deleteBookmark(props.caseId, id);
      await props.onChanged();
    } catch (err) {
      setError((err as Error).message);
    }
  };
  return (
    <section class="panel" aria-labelledby="bookmarks-title">
      <h3 id="bookmarks-title">Bookmarks</h3>
      <form class="row" onSubmit={add}>
        <label>
          Note (at {formatDuration(at - props.caseStartMs)})
          <input
            ref={props.noteRef}
            value={note}
            maxLength={2000}
            onInput={(e) => setNote(e.currentTarget.value)}
            data-testid="bookmark-note"
          />
        </label>
        <button type="submit" class="primary" disabled={busy} data-testid="add-bookmark">
          Add bookmark
        </button>
      </form>
      {error && (
        <p class="error" role="alert">
          {error}
        </p>
      )}
      <ul class="bookmarks" data-testid="bookmarks">
        {props.bookmarks.map((b) => (
          <li key={b.id} data-testid="bookmark">
            <button type="button" class="link-button" onClick={() => props.onSeek(b.atMs)}>
              ★ {formatDuration(b.atMs - props.caseStartMs)}
            </button>{' '}
            <span class="bookmark-note">{b.note || '(no note)'}</span>{' '}
            <button
              type="button"
              class="danger small"
              onClick={() => void remove(b.id)}
              aria-label={`Delete bookmark ${b.note}`}
            >
              Delete
            </button>
          </li>
        ))}
      </ul>
    </section>
  );
}
