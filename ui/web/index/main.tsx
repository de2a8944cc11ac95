import { render } from 'preact';
import '../shared/base.css';

/** The landing page: where to go on this appliance. */
function Index() {
  return (
    <main class="index">
      <h1>orsight</h1>
      <nav aria-label="Pages">
        <ul class="index-links">
          <li>
            <a href="/display">Wall display</a> — live phase and timers (paired screens)
          </li>
          <li>
            <a href="/review">Review</a> — cases, video, timeline, bookmarks, corrections
          </li>
          <li>
            <a href="/admin">Admin</a> — sources, model, users, display tokens, audit log
          </li>
        </ul>
      </nav>
    </main>
  );
}

render(<Index />, document.getElementById('app')!);
