// Service tests: each testable service with its default options; run one and show the result.
import { V1, get, post, seg } from '../api.js';
import { act, field, h, pretty } from '../dom.js';

export async function render(main) {
  const body = await get(`${V1}/service-tests`);
  main.append(h('h1', {}, 'Service tests'));
  const list = h('div', { class: 'services' });
  for (const svc of body.services) {
    const options = h('textarea', { class: 'code small', rows: 4, spellcheck: 'false' });
    options.value = pretty(svc.options || {});
    const result = h('p', { class: 'result', role: 'status', 'data-service': svc.name });
    const run = h('button', { type: 'submit' }, `Test ${svc.name}`);
    list.append(h('form', { class: 'service', onsubmit: (e) => { e.preventDefault(); act(run, async () => {
      let opts;
      try { opts = JSON.parse(options.value || '{}'); } catch (err) { result.textContent = `Options are not valid JSON: ${err.message}`; result.className = 'result bad'; return; }
      result.textContent = 'Running…';
      const r = await post(`${V1}/service-tests/${seg(svc.name)}`, opts);
      result.textContent = r.success ? 'Success.' : `Failed: ${r.message}`;
      result.className = `result ${r.success ? 'good' : 'bad'}`;
    }); } },
    h('h2', {}, svc.name), ...field(`Options for ${svc.name} (JSON)`, options), run, result));
  }
  main.append(list);
}
