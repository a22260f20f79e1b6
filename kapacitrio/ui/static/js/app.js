// The UI's entry: a hash router that mounts one page at a time into <main>.
import { fill, h } from './dom.js';
import * as tasks from './pages/tasks.js';
import * as task from './pages/task.js';
import * as alerts from './pages/alerts.js';
import * as topic from './pages/topic.js';
import * as kkok from './pages/kkok.js';
import * as templates from './pages/templates.js';
import * as replays from './pages/replays.js';
import * as services from './pages/services.js';

const routes = [
  [/^\/?$/, tasks, 'tasks'],
  [/^\/tasks$/, tasks, 'tasks'],
  [/^\/tasks\/new$/, task, 'tasks', () => ({ id: null })],
  [/^\/tasks\/(.+)$/, task, 'tasks', (m) => ({ id: decodeURIComponent(m[1]) })],
  [/^\/alerts$/, alerts, 'alerts'],
  [/^\/alerts\/(.+)$/, topic, 'alerts', (m) => ({ topic: decodeURIComponent(m[1]) })],
  [/^\/kkok$/, kkok, 'kkok'],
  [/^\/templates$/, templates, 'templates'],
  [/^\/replays$/, replays, 'replays'],
  [/^\/services$/, services, 'services'],
];

let cleanup = null;

async function show() {
  if (cleanup) { try { cleanup(); } catch (_) { /* a page's cleanup must not stop navigation */ } }
  cleanup = null;
  const main = document.getElementById('main');
  const path = location.hash.replace(/^#/, '') || '/';
  const found = routes.find(([re]) => re.test(path));
  for (const link of document.querySelectorAll('[data-nav]')) {
    if (found && link.dataset.nav === found[2]) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
  if (!found) {
    fill(main, h('h1', {}, 'Not found'), h('p', {}, 'No page here. ', h('a', { href: '#/tasks' }, 'Go to the tasks.')));
    return;
  }
  const [re, page, , params] = found;
  fill(main);
  try {
    cleanup = (await page.render(main, params ? params(path.match(re)) : {})) || null;
  } catch (err) {
    fill(main, h('h1', {}, 'Error'), h('p', { class: 'error-text' }, err.message || String(err)));
  }
  const heading = main.querySelector('h1');
  if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
  document.title = heading ? `${heading.textContent} · kapacitrio` : 'kapacitrio';
}

window.addEventListener('hashchange', show);
show();
