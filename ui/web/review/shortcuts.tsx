import { useEffect, useRef } from 'preact/hooks';
import { CLIENT } from '../shared/settings.js';

export interface ShortcutActions {
  togglePlay: () => void;
  skip: (deltaMs: number) => void;
  phase: (direction: 1 | -1) => void;
  bookmark: () => void;
  help: () => void;
}

const KEYS: Array<[string, string]> = [
  ['Space or k', 'play / pause'],
  ['← / →', `back / forward ${CLIENT.seekSmallMs / 1000} s`],
  ['j / l', `back / forward ${CLIENT.seekLargeMs / 1000} s`],
  ['[ / ]', 'previous / next phase'],
  ['b', 'write a bookmark at the current time'],
  ['?', 'show or hide this help'],
];

/** Review shortcuts; ignored while typing in a field (and on the video's own controls). */
export function useShortcuts(actions: ShortcutActions): void {
  const ref = useRef(actions);
  ref.current = actions;
  useEffect(() => {
    const onKey = (e: KeyboardEvent) => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const t = e.target as HTMLElement | null;
      if (t && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT|VIDEO|BUTTON)$/.test(t.tagName))) {
        // Space on a focused button clicks it; let the browser do that.
        if (!(t.tagName === 'BUTTON' && e.key !== ' ' && e.key !== 'Enter')) return;
      }
      const a = ref.current;
      const handled: Record<string, () => void> = {
        ' ': a.togglePlay,
        k: a.togglePlay,
        ArrowLeft: () => a.skip(-CLIENT.seekSmallMs),
        ArrowRight: () => a.skip(CLIENT.seekSmallMs),
        j: () => a.skip(-CLIENT.seekLargeMs),
        l: () => a.skip(CLIENT.seekLargeMs),
        '[': () => a.phase(-1),
        ']': () => a.phase(1),
        b: a.bookmark,
        '?': a.help,
      };
      const fn = handled[e.key];
      if (fn) {
        e.preventDefault();
        fn();
      }
    };
    addEventListener('keydown', onKey);
    return () => removeEventListener('keydown', onKey);
  }, []);
}

export function ShortcutHelp() {
  return (
    <section class="shortcut-help" aria-label="Keyboard shortcuts" data-testid="shortcut-help">
      <table>
        <tbody>
          {KEYS.map(([key, what]) => (
            <tr key={key}>
              <th scope="row">
                <kbd>{key}</kbd>
              </th>
              <td>{what}</td>
            </tr>
          ))}
        </tbody>
      </table>
    </section>
  );
}
