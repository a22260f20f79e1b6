// Small helpers for building accessible markup without a framework.

/** Build an element: h('button', {class: 'x', onclick: fn, 'aria-label': 'y'}, 'text', child). */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === undefined || value === null || value === false) continue;
    if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'class') el.className = value;
    else if (key === 'text') el.textContent = value;
    else if (key === 'value') el.value = value;
    else if (key === 'checked' || key === 'selected' || key === 'disabled') el[key] = Boolean(value);
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    el.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
}

/** Replace an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

let labelSeq = 0;
/** A labelled form control: returns [label, control]. */
export function field(labelText, control) {
  if (!control.id) control.id = `f${++labelSeq}`;
  return [h('label', { for: control.id }, labelText), control];
}

/** A table with a caption, header cells and rows of cells (strings or nodes). */
export function table(caption, columns, rows, { empty = 'None.' } = {}) {
  if (!rows.length) return h('p', { class: 'empty' }, empty);
  return h('div', { class: 'table-wrap' },
    h('table', {},
      caption ? h('caption', {}, caption) : null,
      h('thead', {}, h('tr', {}, columns.map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c, i) => h('td', { 'data-label': columns[i] }, c)))))));
}

/** Say something in the live status region (and keep it visible a while). */
export function notify(message, kind = 'info') {
  const el = document.getElementById('status');
  el.className = `status ${kind}`;
  el.textContent = message;
  clearTimeout(notify.timer);
  notify.timer = setTimeout(() => { el.textContent = ''; el.className = 'status'; }, 8000);
}

/** Run an async action from a button: errors are announced, the button is busy meanwhile. */
export async function act(button, fn) {
  if (button) button.disabled = true;
  try {
    return await fn();
  } catch (err) {
    notify(err.message || String(err), 'error');
    return undefined;
  } finally {
    if (button) button.disabled = false;
  }
}

/** A level name as a badge. */
export function levelBadge(level) {
  return h('span', { class: `level level-${String(level || 'OK').toLowerCase()}` }, level || 'OK');
}

/** Nanoseconds as Go prints a duration (1.5ms, 10µs, 2s). */
export function fmtNs(ns) {
  const n = Number(ns) || 0;
  if (n === 0) return '0s';
  if (n < 1e3) return `${n}ns`;
  if (n < 1e6) return `${+(n / 1e3).toFixed(3)}µs`;
  if (n < 1e9) return `${+(n / 1e6).toFixed(3)}ms`;
  return `${+(n / 1e9).toFixed(3)}s`;
}

/** A setInterval that a page's cleanup stops; runs fn once at once. */
export function every(ms, fn) {
  let stopped = false;
  let timer = null;
  const tick = async () => {
    if (stopped) return;
    try { await fn(); } catch (err) { notify(err.message || String(err), 'error'); }
    if (!stopped) timer = setTimeout(tick, ms);
  };
  tick();
  return () => { stopped = true; clearTimeout(timer); };
}

/** Pretty JSON for a <pre>. */
export const pretty = (value) => JSON.stringify(value, null, 2);

/** Re-render a container without losing keyboard focus on a control that is drawn again. */
export function keepFocus(container, render) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? active.getAttribute('aria-label') || active.id : null;
  render();
  if (!key) return;
  const again = [...container.querySelectorAll('[aria-label], [id]')]
    .find((el) => el.getAttribute('aria-label') === key || el.id === key);
  if (again) again.focus();
}
