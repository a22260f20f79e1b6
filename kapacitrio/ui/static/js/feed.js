// The WebSocket feed of alert event changes, reconnecting while a page wants it.
import { PREVIEW, currentAuthorization, seg, wsUrl } from './api.js';
import { record } from './history.js';

/**
 * openFeed(topic | null, {onMessage, onState}) -> close(). onState gets 'connecting', 'open' or
 * 'closed'; a dropped feed is reopened after a pause (the server replays current events first).
 */
export function openFeed(topic, { onMessage, onState = () => {} }) {
  const path = topic ? `${PREVIEW}/alerts/topics/${seg(topic)}/feed` : `${PREVIEW}/alerts/topics/feed`;
  let socket = null;
  let closed = false;
  let retry = null;
  let delay = 500;

  function connect() {
    onState('connecting');
    socket = new WebSocket(wsUrl(path + feedCredentials()));
    socket.addEventListener('open', () => { delay = 500; onState('open'); });
    socket.addEventListener('message', (e) => {
      let msg;
      try { msg = JSON.parse(e.data); } catch (_) { return; /* not a feed message */ }
      record(msg);
      onMessage(msg);
    });
    socket.addEventListener('close', () => {
      onState('closed');
      if (!closed) retry = setTimeout(connect, delay);
      delay = Math.min(delay * 2, 10000);
    });
  }

  connect();
  return () => { closed = true; clearTimeout(retry); if (socket) socket.close(); };
}

/**
 * A browser cannot set headers on a WebSocket: the signed-in credentials go in the query instead
 * (u/p for Basic, token for a Bearer JWT), which the server's WebSocket guard reads.
 */
function feedCredentials() {
  const auth = currentAuthorization();
  const [scheme, value = ''] = auth.split(' ');
  if (scheme === 'Bearer') return `?token=${encodeURIComponent(value)}`;
  if (scheme === 'Basic') {
    const text = decodeURIComponent(escape(atob(value)));
    const colon = text.indexOf(':');
    return `?u=${encodeURIComponent(text.slice(0, colon))}&p=${encodeURIComponent(text.slice(colon + 1))}`;
  }
  return '';
}

/** An event's details: the server sends them HTML-escaped, as Kapacitor does; decode to JSON. */
export function decodeDetails(details) {
  if (!details) return '';
  const area = document.createElement('textarea');
  area.innerHTML = details;
  const text = area.value;
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return text; }
}
