// Alerts: topics with their level, and event changes arriving live over the WebSocket feed.
import { V1, del, get, seg } from '../api.js';
import { act, every, fill, h, keepFocus, levelBadge, notify, table } from '../dom.js';
import { openFeed } from '../feed.js';

const MAX_EVENTS = 200;

export async function render(main) {
  const topicsBox = h('div');
  const feedState = h('span', { class: 'feed-state', id: 'feed-state' }, 'connecting');
  const events = h('ol', { class: 'events', role: 'log', 'aria-label': 'Live alert events', 'aria-live': 'polite' });
  const empty = h('p', { class: 'empty', id: 'no-events' }, 'No event changes yet.');
  main.append(
    h('h1', {}, 'Alerts'),
    h('section', { 'aria-labelledby': 'topics-h' }, h('h2', { id: 'topics-h' }, 'Topics'), topicsBox),
    h('section', { 'aria-labelledby': 'live-h' },
      h('h2', { id: 'live-h' }, 'Live events ', feedState),
      h('p', { class: 'hint' }, 'From the WebSocket feed of all topics: current events first, then each change as it happens.'),
      empty, events));

  async function removeTopic(button, topicId) {
    if (!confirm(`Delete topic ${topicId} and its events?`)) return;
    await act(button, async () => {
      await del(`${V1}/alerts/topics/${seg(topicId)}`);
      notify(`Topic ${topicId} deleted.`);
      await refresh();
    });
  }

  async function refresh() {
    const body = await get(`${V1}/alerts/topics`);
    keepFocus(topicsBox, () => fill(topicsBox, table('', ['Topic', 'Level', 'Events collected', 'Actions'],
      body.topics.map((t) => [
        h('a', { href: `#/alerts/${seg(t.id)}` }, t.id),
        levelBadge(t.level),
        String(t.collected),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete topic ${t.id}`, onclick: (e) => removeTopic(e.currentTarget, t.id) }, 'Delete'),
      ]), { empty: 'No topics yet: they appear when an alert node or handler first uses one.' })));
  }

  await refresh(); // first, so that a sign-in (when auth is on) happens before the feed opens
  let refreshSoon = null;
  const close = openFeed(null, {
    onState: (state) => { feedState.textContent = state; feedState.className = `feed-state ${state}`; },
    onMessage: (msg) => {
      empty.hidden = true;
      const st = msg.state || {};
      events.prepend(h('li', { class: 'event', 'data-topic': msg.topic, 'data-event': msg.id },
        h('time', { datetime: st.time }, st.time || ''), ' ',
        levelBadge(st.level),
        msg.previousLevel ? h('span', { class: 'hint' }, ` (was ${msg.previousLevel})`) : null, ' ',
        h('a', { href: `#/alerts/${seg(msg.topic)}` }, msg.topic), ' · ',
        h('strong', {}, msg.id), ' ', st.message || ''));
      while (events.children.length > MAX_EVENTS) events.lastElementChild.remove();
      clearTimeout(refreshSoon);
      refreshSoon = setTimeout(() => refresh().catch(() => {}), 300);
    },
  });
  const stop = every(5000, refresh);
  return () => { close(); stop(); clearTimeout(refreshSoon); };
}
