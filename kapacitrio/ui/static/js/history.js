// Alert event changes seen by this browser session's feeds (the server keeps only current state).

const KEY = 'kapacitrio.history';
const PER_EVENT = 100;
const MAX_EVENTS = 500;

function load() {
  try { return JSON.parse(sessionStorage.getItem(KEY) || '{}'); } catch (_) { return {}; }
}

/** Remember one feed message if it is a change (the state replayed on connect is not). */
export function record(msg) {
  if (!msg || !msg.previousLevel || !msg.state) return;
  const all = load();
  const key = `${msg.topic}\u0000${msg.id}`;
  const list = all[key] || [];
  const change = { time: msg.state.time, level: msg.state.level, previousLevel: msg.previousLevel, message: msg.state.message };
  const last = list[list.length - 1];
  if (last && last.time === change.time && last.level === change.level) return; // seen by two feeds
  list.push(change);
  delete all[key]; // re-insert, so the oldest-touched events are dropped first
  all[key] = list.slice(-PER_EVENT);
  const keys = Object.keys(all);
  for (const old of keys.slice(0, Math.max(0, keys.length - MAX_EVENTS))) delete all[old];
  try { sessionStorage.setItem(KEY, JSON.stringify(all)); } catch (_) { /* storage full: keep going */ }
}

/** The changes of one event, oldest first. */
export function changes(topic, eventId) {
  return load()[`${topic}\u0000${eventId}`] || [];
}
