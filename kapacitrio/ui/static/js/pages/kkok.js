// kkok: the pending alerts, the filters in order (enable, disable, inactivate, expire) and routes.
import { del, get, put, seg } from '../api.js';
import { act, every, field, fill, h, keepFocus, notify, pretty, table } from '../dom.js';

/** A datetime-local value (local time) as RFC3339 UTC, or throw. */
function rfc3339(localValue) {
  if (!localValue) throw new Error('choose a date and time first');
  const when = new Date(localValue);
  if (Number.isNaN(when.getTime())) throw new Error(`not a time: ${localValue}`);
  return when.toISOString().replace(/\.000Z$/, 'Z');
}

function filterState(f) {
  if (f.disabled) return 'disabled';
  if (f.inactive) return `inactive until ${f.inactive}`;
  return 'enabled';
}

export async function render(main) {
  const alertsBox = h('div');
  const filtersBox = h('div');
  const routesBox = h('div');
  const filterId = h('input', { autocomplete: 'off', pattern: '[a-zA-Z0-9_\\-]+' });
  const filterJson = h('textarea', { class: 'code', rows: 6, spellcheck: 'false' });
  filterJson.value = pretty({ type: 'discard', if: 'alert.Host === "test"' });
  const routeId = h('input', { autocomplete: 'off', pattern: '[a-zA-Z0-9_\\-]+' });
  const routeJson = h('textarea', { class: 'code', rows: 6, spellcheck: 'false' });
  routeJson.value = pretty([{ type: 'email', from: 'kkok@example.com', to: ['ops@example.com'] }]);

  main.append(
    h('h1', {}, 'kkok'),
    h('section', { 'aria-labelledby': 'pending-h' }, h('h2', { id: 'pending-h' }, 'Pending alerts'), alertsBox),
    h('section', { 'aria-labelledby': 'filters-h' }, h('h2', { id: 'filters-h' }, 'Filters, in order'), filtersBox,
      h('form', { class: 'stack', onsubmit: (e) => { e.preventDefault(); saveFilter(e.submitter); } },
        h('h3', {}, 'Create or replace a filter'),
        ...field('Filter ID', filterId), ...field('Filter (JSON)', filterJson),
        h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Save filter')))),
    h('section', { 'aria-labelledby': 'routes-h' }, h('h2', { id: 'routes-h' }, 'Routes'), routesBox,
      h('form', { class: 'stack', onsubmit: (e) => { e.preventDefault(); saveRoute(e.submitter); } },
        h('h3', {}, 'Create or replace a route'),
        ...field('Route ID', routeId), ...field('Transports (JSON array)', routeJson),
        h('div', { class: 'buttons' }, h('button', { type: 'submit' }, 'Save route')))));

  const parseJson = (text, what) => {
    try { return JSON.parse(text); } catch (err) { throw new Error(`${what} is not valid JSON: ${err.message}`); }
  };

  async function saveFilter(button) {
    await act(button, async () => {
      if (!filterId.value) throw new Error('the filter needs an ID');
      await put(`/filters/${seg(filterId.value)}`, parseJson(filterJson.value, 'the filter'));
      notify(`Filter ${filterId.value} saved.`);
      await refresh();
    });
  }

  async function saveRoute(button) {
    await act(button, async () => {
      if (!routeId.value) throw new Error('the route needs an ID');
      await put(`/routes/${seg(routeId.value)}`, parseJson(routeJson.value, 'the route'));
      notify(`Route ${routeId.value} saved.`);
      await refresh();
    });
  }

  function filterActions(f) {
    const until = h('input', { type: 'datetime-local', 'aria-label': `Inactivate ${f.id} until` });
    const expire = h('input', { type: 'datetime-local', 'aria-label': `Expire ${f.id} at` });
    const run = (button, what, fn) => act(button, async () => { await fn(); notify(`Filter ${f.id}: ${what}.`); await refresh(); });
    return h('div', { class: 'filter-actions' },
      f.disabled
        ? h('button', { type: 'button', 'aria-label': `Enable ${f.id}`, onclick: (e) => run(e.currentTarget, 'enabled', () => put(`/filters/${seg(f.id)}/enable`, '')) }, 'Enable')
        : h('button', { type: 'button', 'aria-label': `Disable ${f.id}`, onclick: (e) => run(e.currentTarget, 'disabled', () => put(`/filters/${seg(f.id)}/disable`, '')) }, 'Disable'),
      h('span', { class: 'pair' }, until,
        h('button', { type: 'button', 'aria-label': `Inactivate ${f.id}`, onclick: (e) => run(e.currentTarget, 'inactivated', () => put(`/filters/${seg(f.id)}/inactivate`, { until: rfc3339(until.value) })) }, 'Inactivate')),
      h('span', { class: 'pair' }, expire,
        h('button', { type: 'button', 'aria-label': `Set expiry of ${f.id}`, onclick: (e) => run(e.currentTarget, 'expiry set', () => {
          const { id: _id, inactive: _inactive, ...spec } = f;
          return put(`/filters/${seg(f.id)}`, { ...spec, expire: rfc3339(expire.value) });
        }) }, 'Expire at')),
      h('button', { type: 'button', 'aria-label': `Edit ${f.id}`, onclick: () => { const { id: _id, inactive: _i, ...spec } = f; filterId.value = f.id; filterJson.value = pretty(spec); filterJson.focus(); } }, 'Edit'),
      h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${f.id}`, onclick: (e) => { if (confirm(`Delete filter ${f.id}?`)) run(e.currentTarget, 'deleted', () => del(`/filters/${seg(f.id)}`)); } }, 'Delete'));
  }

  async function refresh() {
    const [pending, filterIds, routeIds] = await Promise.all([get('/alerts'), get('/filters'), get('/routes')]);
    fill(alertsBox, table(`${pending.length} pending`, ['Date', 'From', 'Host', 'Title', 'Message', 'Routes', 'Info'],
      pending.map((a) => [a.Date, a.From, a.Host, a.Title, a.Message || '', (a.Routes || []).join(', '), Object.keys(a.Info || {}).length ? JSON.stringify(a.Info) : '']),
      { empty: 'No pending alerts.' }));
    const filters = await Promise.all(filterIds.map((id) => get(`/filters/${seg(id)}`).then((f) => ({ id, ...f }))));
    keepFocus(filtersBox, () => fill(filtersBox, table('', ['#', 'ID', 'Type', 'State', 'All', 'If', 'Expire', 'Actions'],
      filters.map((f, i) => [String(i + 1), f.id, f.type, h('span', { 'data-filter-state': f.id }, filterState(f)), f.all ? 'yes' : 'no',
        h('code', {}, Array.isArray(f.if) ? f.if.join(' ') : f.if || ''), f.expire || '', filterActions(f)]),
      { empty: 'No filters.' })));
    const routes = await Promise.all(routeIds.map((id) => get(`/routes/${seg(id)}`).then((spec) => [id, spec])));
    keepFocus(routesBox, () => fill(routesBox, table('', ['ID', 'Transports', 'Actions'],
      routes.map(([id, spec]) => [id, h('pre', {}, pretty(spec)),
        h('button', { type: 'button', 'aria-label': `Edit route ${id}`, onclick: () => { routeId.value = id; routeJson.value = pretty(spec); routeJson.focus(); } }, 'Edit')]),
      { empty: 'No routes.' })));
  }

  return every(4000, refresh);
}
