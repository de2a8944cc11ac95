import type { Recording } from './review-api.js';

/**
 * Plays a source's recording chunks as one continuous case timeline on a <video>: maps a
 * case time (ms since epoch) to a chunk and an offset in it, switches chunks at their end,
 * and reports the case time being shown. A gap between chunks (no recording) is skipped.
 */
export class ChunkedVideo {
  private chunks: Recording[] = [];
  private index = -1;
  private pendingSeekS: number | undefined;
  private pendingPlay = false;

  constructor(
    private readonly video: HTMLVideoElement,
    private readonly onTime: (caseMs: number | null) => void,
  ) {}

  attach(): () => void {
    const v = this.video;
    const onMeta = () => {
      if (this.pendingSeekS !== undefined) {
        v.currentTime = Math.min(this.pendingSeekS, Math.max(0, (v.duration || Infinity) - 0.05));
        this.pendingSeekS = undefined;
      }
      if (this.pendingPlay) {
        this.pendingPlay = false;
        void v.play().catch(() => undefined);
      }
    };
    const onTime = () => this.onTime(this.currentMs());
    const onEnded = () => {
      const next = this.chunks[this.index + 1];
      if (next) this.load(this.index + 1, 0, true);
    };
    v.addEventListener('loadedmetadata', onMeta);
    v.addEventListener('timeupdate', onTime);
    v.addEventListener('seeked', onTime);
    v.addEventListener('ended', onEnded);
    return () => {
      v.removeEventListener('loadedmetadata', onMeta);
      v.removeEventListener('timeupdate', onTime);
      v.removeEventListener('seeked', onTime);
      v.removeEventListener('ended', onEnded);
    };
  }

  setChunks(chunks: Recording[], keepMs: number | null): void {
    this.chunks = [...chunks].sort((a, b) => a.startedAtMs - b.startedAtMs);
    this.index = -1;
    if (this.chunks.length === 0) {
      this.video.removeAttribute('src');
      this.video.load();
      this.onTime(null);
      return;
    }
    this.seek(keepMs ?? this.chunks[0]!.startedAtMs, false);
  }

  /** Shows the moment `caseMs`; plays from there when `play`. */
  seek(caseMs: number, play: boolean): void {
    if (this.chunks.length === 0) return;
    let i = this.chunks.findIndex((c) => caseMs < c.startedAtMs + c.durationMs);
    if (i < 0) i = this.chunks.length - 1;
    const chunk = this.chunks[i]!;
    const offsetS = Math.max(0, (caseMs - chunk.startedAtMs) / 1000);
    if (i === this.index && this.video.readyState >= 1) {
      this.video.currentTime = offsetS;
      if (play) void this.video.play().catch(() => undefined);
      return;
    }
    this.load(i, offsetS, play);
  }

  /** The case time on screen, or null when nothing is loaded. */
  currentMs(): number | null {
    const chunk = this.chunks[this.index];
    return chunk ? chunk.startedAtMs + this.video.currentTime * 1000 : null;
  }

  /** Where the loaded chunk starts in case time (tests read it beside video.currentTime). */
  chunkStartMs(): number | null {
    return this.chunks[this.index]?.startedAtMs ?? null;
  }

  togglePlay(): void {
    if (this.video.paused) void this.video.play().catch(() => undefined);
    else this.video.pause();
  }

  private load(i: number, offsetS: number, play: boolean): void {
    this.index = i;
    this.pendingSeekS = offsetS;
    this.pendingPlay = play;
    this.video.src = this.chunks[i]!.url;
    this.video.dataset.chunkStartMs = String(this.chunks[i]!.startedAtMs);
    this.video.load();
  }
}
