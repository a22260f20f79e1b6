// One alert topic: its events (details and the changes seen live), and its handlers.
import { V1, del, get, post, put, seg } from '../api.js';
import { act, every, field, fill, h, keepFocus, levelBadge, notify, table } from '../dom.js';
import { decodeDetails, openFeed } from '../feed.js';
import { changes } from '../history.js';
import yaml from '../../vendor/js-yaml.mjs';

const EXAMPLE = "# YAML or JSON, as for `kapacitor define-topic-handler`\nid: my-handler\nkind: log\noptions:\n  path: /tmp/alerts.log\n";

/** A handler file (YAML or JSON) as the handlers API's body; a `topic` key must name this topic. */
export function parseHandler(text, topic) {
  const trimmed = text.trim();
  if (!trimmed) throw new Error('the handler definition is empty');
  let doc;
  try {
    doc = trimmed.startsWith('{') ? JSON.parse(trimmed) : yaml.load(trimmed);
  } catch (err) {
    throw new Error(`not valid ${trimmed.startsWith('{') ? 'JSON' : 'YAML'}: ${err.message.split('\n')[0]}`);
  }
  if (!doc || typeof doc !== 'object' || Array.isArray(doc)) throw new Error('a handler definition is an object with id, kind and options');
  const { topic: named, ...spec } = doc;
  if (named !== undefined && named !== topic) throw new Error(`the definition is for topic ${named}, not ${topic}`);
  return spec;
}

export async function render(main, { topic }) {
  const base = `${V1}/alerts/topics/${seg(topic)}`;
  const info = await get(base);
  const levelBox = h('span', {}, levelBadge(info.level));
  const minLevel = h('select', {}, ['OK', 'INFO', 'WARNING', 'CRITICAL'].map((l) => h('option', { value: l }, l)));
  const eventsBox = h('div');
  const detailsBox = h('div', { class: 'details', id: 'event-details', 'aria-live': 'polite' });
  const handlersBox = h('div');
  const editor = h('textarea', { class: 'code', rows: 9, spellcheck: 'false', 'aria-describedby': 'handler-hint' });
  editor.value = EXAMPLE;
  const editorLabel = h('span', {}, 'New handler');
  let editing = null;
  const saveButton = h('button', { type: 'submit' }, 'Create handler');
  const cancelButton = h('button', { type: 'button', hidden: true, onclick: () => startCreate() }, 'Cancel edit');
  let selected = null;

  main.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/alerts' }, 'Alerts'), ' / ', topic),
    h('h1', {}, `Topic ${topic} `, levelBox),
    h('section', { 'aria-labelledby': 'events-h' },
      h('h2', { id: 'events-h' }, 'Events'),
      h('form', { class: 'inline', onsubmit: (e) => e.preventDefault() }, ...field('Minimum level', minLevel)),
      eventsBox, detailsBox),
    h('section', { 'aria-labelledby': 'handlers-h' },
      h('h2', { id: 'handlers-h' }, 'Handlers'), handlersBox,
      h('form', { class: 'handler-form', onsubmit: (e) => { e.preventDefault(); save(saveButton); } },
        h('h3', {}, editorLabel),
        ...field('Handler definition (YAML or JSON)', editor),
        h('p', { id: 'handler-hint', class: 'hint' }, 'Keys: id, kind, match (optional), options.'),
        h('div', { class: 'buttons' }, saveButton, cancelButton))));

  function startCreate() {
    editing = null;
    editorLabel.textContent = 'New handler';
    saveButton.textContent = 'Create handler';
    cancelButton.hidden = true;
    editor.value = EXAMPLE;
  }

  function startEdit(handler) {
    editing = handler.id;
    editorLabel.textContent = `Edit handler ${handler.id}`;
    saveButton.textContent = 'Save handler';
    cancelButton.hidden = false;
    const doc = { id: handler.id, kind: handler.kind };
    if (handler.match) doc.match = handler.match;
    doc.options = handler.options || {};
    editor.value = yaml.dump(doc);
    editor.focus();
  }

  async function save(button) {
    await act(button, async () => {
      const spec = parseHandler(editor.value, topic);
      if (editing) {
        await put(`${base}/handlers/${seg(editing)}`, { id: editing, ...spec });
        notify(`Handler ${editing} saved.`);
      } else {
        const made = await post(`${base}/handlers`, spec);
        notify(`Handler ${made.id} created.`);
      }
      startCreate();
      await refreshHandlers();
    });
  }

  async function removeHandler(button, handlerId) {
    if (!confirm(`Delete handler ${handlerId}?`)) return;
    await act(button, async () => {
      await del(`${base}/handlers/${seg(handlerId)}`);
      notify(`Handler ${handlerId} deleted.`);
      if (editing === handlerId) startCreate();
      await refreshHandlers();
    });
  }

  async function refreshHandlers() {
    const body = await get(`${base}/handlers`);
    const rows = (body.handlers || []).map((hd) => [
      hd.id, hd.kind, hd.match || '',
      h('details', {}, h('summary', {}, 'Options'), h('pre', {}, yaml.dump(hd.options || {}))),
      h('span', { class: 'actions' },
        h('button', { type: 'button', 'aria-label': `Edit handler ${hd.id}`, onclick: () => startEdit(hd) }, 'Edit'),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete handler ${hd.id}`, onclick: (e) => removeHandler(e.currentTarget, hd.id) }, 'Delete')),
    ]);
    keepFocus(handlersBox, () => fill(handlersBox, table('', ['ID', 'Kind', 'Match', 'Options', 'Actions'], rows, { empty: 'No handlers on this topic.' })));
  }

  async function showEvent(eventId) {
    selected = eventId;
    const ev = await get(`${base}/events/${seg(eventId)}`);
    const st = ev.state;
    const seen = changes(topic, eventId);
    fill(detailsBox,
      h('h3', {}, `Event ${eventId}`),
      h('dl', { class: 'facts' },
        h('dt', {}, 'Level'), h('dd', {}, levelBadge(st.level)),
        h('dt', {}, 'Message'), h('dd', {}, st.message),
        h('dt', {}, 'Time'), h('dd', {}, st.time),
        h('dt', {}, 'Duration'), h('dd', {}, st.duration)),
      h('h4', {}, 'Details'), h('pre', {}, decodeDetails(st.details) || '(none)'),
      h('h4', {}, 'History'),
      table('Changes seen by this browser session, newest first', ['Time', 'Level', 'Was', 'Message'],
        seen.slice().reverse().map((c) => [c.time, levelBadge(c.level), levelBadge(c.previousLevel), c.message]),
        { empty: 'No changes seen in this browser session yet (the server keeps only the current state).' }));
  }

  async function refreshEvents() {
    const body = await get(`${base}/events?min-level=${minLevel.value}`);
    const rows = body.events.map((ev) => [
      h('button', { type: 'button', class: 'link', 'aria-label': `Show event ${ev.id}`, 'aria-controls': 'event-details', onclick: () => showEvent(ev.id).catch((err) => notify(err.message, 'error')) }, ev.id),
      levelBadge(ev.state.level), ev.state.message, ev.state.time, ev.state.duration,
    ]);
    keepFocus(eventsBox, () => fill(eventsBox, table('', ['Event', 'Level', 'Message', 'Time', 'Duration'], rows, { empty: 'No events at or above this level.' })));
    const t = await get(base);
    fill(levelBox, levelBadge(t.level));
  }
  minLevel.addEventListener('change', () => refreshEvents().catch((err) => notify(err.message, 'error')));

  let soon = null;
  const close = openFeed(topic, {
    onMessage: (msg) => {
      if (!msg.previousLevel) return; // the current state replayed on connect is not a change
      clearTimeout(soon);
      soon = setTimeout(() => {
        refreshEvents().catch(() => {});
        if (selected === msg.id) showEvent(msg.id).catch(() => {});
      }, 200);
    },
  });
  await refreshHandlers();
  const stop = every(5000, refreshEvents);
  return () => { close(); stop(); clearTimeout(soon); };
}
