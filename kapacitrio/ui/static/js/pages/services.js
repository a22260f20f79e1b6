// Service tests: pick a testable service, adjust its default options, run it and show the result.
import { V1, get, post, seg } from '../api.js';
import { act, field, fill, h, pretty, table } from '../dom.js';

export async function render(main) {
  const body = await get(`${V1}/service-tests`);
  const services = new Map(body.services.map((svc) => [svc.name, svc]));
  const picker = h('select', {}, [...services.keys()].map((name) => h('option', { value: name }, name)));
  const options = h('textarea', { class: 'code', rows: 8, spellcheck: 'false', 'aria-describedby': 'options-hint' });
  const result = h('p', { class: 'result', id: 'service-result', role: 'status' });
  const run = h('button', { type: 'submit' }, 'Run test');
  const results = [];
  const resultsBox = h('div');

  function pick() {
    const svc = services.get(picker.value);
    options.value = pretty((svc && svc.options) || {});
    fill(result);
  }
  picker.addEventListener('change', pick);

  async function test() {
    await act(run, async () => {
      const name = picker.value;
      let opts;
      try { opts = JSON.parse(options.value || '{}'); } catch (err) {
        result.textContent = `The options are not valid JSON: ${err.message}`;
        result.className = 'result bad';
        return;
      }
      result.textContent = `Testing ${name}…`;
      result.className = 'result';
      const r = await post(`${V1}/service-tests/${seg(name)}`, opts);
      result.dataset.service = name;
      result.textContent = r.success ? `${name}: success.` : `${name} failed: ${r.message}`;
      result.className = `result ${r.success ? 'good' : 'bad'}`;
      results.unshift([new Date().toLocaleTimeString(), name, h('span', { class: r.success ? 'good' : 'bad' }, r.success ? 'success' : 'failed'), r.success ? '' : r.message]);
      fill(resultsBox, table('Tests run on this page, newest first', ['Time', 'Service', 'Result', 'Message'], results.slice(0, 50)));
    });
  }

  main.append(
    h('h1', {}, 'Service tests'),
    h('section', { 'aria-labelledby': 'run-h' },
      h('h2', { id: 'run-h' }, 'Run a test'),
      h('form', { class: 'stack', onsubmit: (e) => { e.preventDefault(); test(); } },
        ...field('Service', picker),
        ...field('Options (JSON)', options),
        h('p', { id: 'options-hint', class: 'hint' }, 'The service\'s defaults; change them to test other settings. Some tests send a real message.'),
        h('div', { class: 'buttons' }, run), result)),
    h('section', { 'aria-labelledby': 'results-h' }, h('h2', { id: 'results-h' }, 'Results'), resultsBox));
  fill(resultsBox, h('p', { class: 'empty' }, 'No tests run yet.'));
  pick();
}
