// The WebSocket feed of alert event changes, reconnecting while a page wants it.
import { PREVIEW, seg, wsUrl } from './api.js';

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
    socket = new WebSocket(wsUrl(path));
    socket.addEventListener('open', () => { delay = 500; onState('open'); });
    socket.addEventListener('message', (e) => {
      try { onMessage(JSON.parse(e.data)); } catch (_) { /* not a feed message */ }
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

/** An event's details: the server sends them HTML-escaped, as Kapacitor does; decode to JSON. */
export function decodeDetails(details) {
  if (!details) return '';
  const area = document.createElement('textarea');
  area.innerHTML = details;
  const text = area.value;
  try { return JSON.stringify(JSON.parse(text), null, 2); } catch (_) { return text; }
}
