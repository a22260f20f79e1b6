// One task: its TICKscript (checked as you type, formatted, saved), vars, live DAG, httpOut, logs.
import { ApiError, PREVIEW, V1, del, get, patch, post, request, seg } from '../api.js';
import { createDag } from '../dag.js';
import { act, every, field, fill, fmtNs, h, notify, pretty, table } from '../dom.js';
import { createEditor } from '../editor.js';

const PLACE = /line (\d+) char (\d+)/;
const DBRP_STATEMENT = /^\s*dbrp\s+"/m;
const STARTER = "stream\n    |from()\n        .measurement('cpu')\n    |httpOut('out')\n";

/** "db.rp" or '"db"."rp"', comma separated, as the API's dbrps list. */
export function parseDbrps(text) {
  return text.split(',').map((part) => part.trim()).filter(Boolean).map((part) => {
    const quoted = part.match(/^"((?:[^"\\]|\\.)*)"\."((?:[^"\\]|\\.)*)"$/);
    if (quoted) return { db: quoted[1], rp: quoted[2] };
    const dot = part.indexOf('.');
    if (dot <= 0 || dot === part.length - 1) throw new Error(`DBRP "${part}" must be db.rp`);
    return { db: part.slice(0, dot), rp: part.slice(dot + 1) };
  });
}

const dbrpText = (dbrps) => (dbrps || []).map((d) => `${d.db}.${d.rp}`).join(', ');

function httpOutNames(script) {
  const names = new Set();
  for (const m of script.matchAll(/\|\s*httpOut\(\s*'((?:[^'\\]|\\.)*)'\s*\)/g)) names.add(m[1]);
  return [...names];
}

function seriesTables(name, result) {
  const series = (result && result.series) || [];
  if (!series.length) return h('p', { class: 'empty' }, `/${name}: no data yet.`);
  return series.map((sr) => {
    const tags = Object.entries(sr.tags || {}).map(([k, v]) => `${k}=${v}`).join(',');
    return table(`${sr.name || name}${tags ? ` {${tags}}` : ''}`, sr.columns || [],
      (sr.values || []).map((row) => row.map((v) => (v === null ? '' : typeof v === 'object' ? JSON.stringify(v) : String(v)))));
  });
}

function varsRows(vars) {
  return Object.entries(vars || {}).map(([name, v]) => [name, v.type, typeof v.value === 'object' ? JSON.stringify(v.value) : String(v.value), v.description || '']);
}

export async function render(main, { id }) {
  const isNew = id === null;
  let task = null;
  if (!isNew) task = await get(`${V1}/tasks/${seg(id)}?script-format=raw`);
  const templated = Boolean(task && task['template-id']);

  const heading = h('h1', {}, isNew ? 'New task' : `Task ${id}`);
  const summary = h('p', { class: 'task-summary', 'aria-live': 'polite' });
  const idInput = h('input', { required: true, value: isNew ? '' : id, readonly: !isNew, autocomplete: 'off' });
  const typeSelect = h('select', {}, ['stream', 'batch'].map((t) => h('option', { value: t, selected: task ? task.type === t : t === 'stream' }, t)));
  const dbrpInput = h('input', { value: task ? dbrpText(task.dbrps) : 'telegraf.autogen', placeholder: 'telegraf.autogen', 'aria-describedby': 'dbrp-hint' });
  const dbrpHint = h('span', { id: 'dbrp-hint', class: 'hint' });
  const varsInput = h('textarea', { class: 'code small', rows: 4, spellcheck: 'false', 'aria-describedby': 'vars-hint' });
  varsInput.value = task && Object.keys(task.vars || {}).length ? pretty(task.vars) : '';
  const checkState = h('p', { class: 'check-state', id: 'check-state', role: 'status' }, '');
  const editor = createEditor({ label: 'TICKscript', value: task ? task.script : STARTER, onChange: () => schedule() });
  if (templated) { editor.textarea.readOnly = true; }
  const varsTable = h('div');
  const dagBox = h('div', { class: 'dag-box' });
  const nodeTable = h('div');
  const httpBox = h('div');
  const logList = h('ol', { class: 'log', 'aria-label': 'Task log' },
    h('li', { class: 'empty' }, 'No entries yet: they appear as the task logs (a |log() node, errors).'));
  const dag = createDag(dagBox, () => `DAG of task ${id || idInput.value || 'new'}`);

  const saveButton = h('button', { type: 'submit' }, isNew ? 'Define task' : 'Save');
  const formatButton = h('button', { type: 'button', onclick: (e) => format(e.currentTarget), disabled: templated }, 'Format');
  const toggleButton = h('button', { type: 'button', onclick: (e) => toggle(e.currentTarget), hidden: isNew }, '');
  const deleteButton = h('button', { type: 'button', class: 'danger', onclick: (e) => remove(e.currentTarget), hidden: isNew }, 'Delete');

  main.append(
    h('p', { class: 'crumbs' }, h('a', { href: '#/tasks' }, 'Tasks'), ' / ', isNew ? 'new' : id),
    heading, summary,
    h('div', { class: 'task-grid' }, h('form', { class: 'task-form', onsubmit: (e) => { e.preventDefault(); save(saveButton); } },
      h('div', { class: 'row' },
        h('div', {}, ...field('ID', idInput)),
        h('div', {}, ...field('Type', typeSelect)),
        h('div', { class: 'grow' }, ...field('DBRPs', dbrpInput), dbrpHint)),
      templated ? h('p', { class: 'hint' }, `Defined from template ${task['template-id']}: change the template to change the script.`) : null,
      editor.root, checkState,
      h('details', { open: Boolean(varsInput.value) },
        h('summary', {}, 'Vars'),
        varsTable,
        ...field('Vars as JSON', varsInput),
        h('p', { id: 'vars-hint', class: 'hint' }, 'An object of name: {"type": "int|float|string|bool|duration|regex|lambda|star|list", "value": ...}.')),
      h('div', { class: 'buttons' }, saveButton, formatButton, toggleButton, deleteButton)),
    h('section', { 'aria-labelledby': 'dag-h', class: 'dag-section' }, h('h2', { id: 'dag-h' }, 'DAG'), dagBox,
      h('details', {}, h('summary', {}, 'Node counters as a table'), nodeTable))),
    h('section', { 'aria-labelledby': 'http-h', hidden: isNew }, h('h2', { id: 'http-h' }, 'httpOut endpoints'), httpBox),
    h('section', { 'aria-labelledby': 'log-h', hidden: isNew }, h('h2', { id: 'log-h' }, 'Log tail'), h('p', { class: 'hint' }, 'Live from the logs API, filtered by task=', id || ''), logList));

  // -- checking as you type
  let timer = null;
  let seq = 0;
  function schedule() {
    clearTimeout(timer);
    timer = setTimeout(check, 300);
  }

  function currentVars() {
    const text = varsInput.value.trim();
    if (!text) return {};
    try { return JSON.parse(text); } catch (err) { throw new Error(`vars are not valid JSON: ${err.message}`); }
  }

  function showDbrpHint() {
    dbrpHint.textContent = DBRP_STATEMENT.test(editor.value)
      ? 'Not used: the script\'s dbrp statements say where it reads.'
      : 'db.rp, comma separated; or dbrp statements in the script.';
  }

  async function check() {
    const mine = ++seq;
    showDbrpHint();
    let vars;
    try { vars = currentVars(); } catch (err) { checkState.textContent = err.message; checkState.className = 'check-state bad'; return; }
    checkState.textContent = 'Checking…';
    checkState.className = 'check-state';
    const result = await post(`${PREVIEW}/tasks/validate`, { script: editor.value, type: typeSelect.value, vars, id: id || idInput.value || 'task' }).catch((err) => ({ valid: false, error: err.message, line: 0, char: 0 }));
    if (mine !== seq) return;
    if (result.valid) {
      editor.clearError();
      checkState.textContent = 'The script is valid.';
      checkState.className = 'check-state good';
      if (!task || !task.executing) dag.update(result.dot, null).catch(() => {});
    } else {
      editor.showError(result.error, result.line, result.char);
      checkState.textContent = result.line ? `Error at line ${result.line}, char ${result.char}.` : 'The script has an error.';
      checkState.className = 'check-state bad';
    }
  }
  typeSelect.addEventListener('change', schedule);
  varsInput.addEventListener('input', () => { schedule(); });

  async function format(button) {
    await act(button, async () => {
      try {
        const body = await post(`${PREVIEW}/tasks/format`, { script: editor.value });
        editor.setValue(body.script);
        notify('Formatted.');
        schedule();
      } catch (err) {
        const m = err.message.match(PLACE);
        editor.showError(err.message, m ? Number(m[1]) : 0, m ? Number(m[2]) : 0);
        throw new Error(`Cannot format: ${err.message}`);
      }
    });
  }

  // -- saving: define a new task, or update the one shown
  async function save(button) {
    await act(button, async () => {
      const dbrps = parseDbrps(dbrpInput.value);
      const body = { type: typeSelect.value, vars: currentVars() };
      if (!templated) body.script = editor.value;
      // dbrp statements in the script say where it reads; the field would only conflict with them
      if (dbrps.length && !DBRP_STATEMENT.test(editor.value)) body.dbrps = dbrps;
      try {
        if (isNew) {
          const newId = idInput.value.trim();
          if (!newId) throw new Error('the task needs an ID');
          await post(`${V1}/tasks`, { id: newId, status: 'disabled', ...body });
          notify(`Task ${newId} defined (disabled).`);
          location.hash = `#/tasks/${seg(newId)}`;
          return;
        }
        task = await patch(`${V1}/tasks/${seg(id)}`, body);
        notify(`Task ${id} saved.`);
        await refresh();
      } catch (err) {
        const m = err.message.match(PLACE);
        if (m) editor.showError(err.message, Number(m[1]), Number(m[2]));
        throw err;
      }
    });
  }

  async function toggle(button) {
    const status = task.status === 'enabled' ? 'disabled' : 'enabled';
    await act(button, async () => {
      task = await patch(`${V1}/tasks/${seg(id)}`, { status });
      notify(`Task ${id} ${status}.`);
      await refresh();
    });
  }

  async function remove(button) {
    if (!confirm(`Delete task ${id}?`)) return;
    await act(button, async () => {
      await del(`${V1}/tasks/${seg(id)}`);
      notify(`Task ${id} deleted.`);
      location.hash = '#/tasks';
    });
  }

  // -- live state
  function showSummary() {
    const rate = task.stats && task.stats['task-stats'] ? task.stats['task-stats'].throughput : 0;
    fill(summary,
      h('span', { class: `status-${task.status}` }, task.status), ' · ',
      task.executing ? 'executing' : 'not executing', ' · ',
      `${Number(rate || 0).toFixed(2)} points/s`,
      task.error ? [' · ', h('span', { class: 'error-text' }, task.error)] : null);
    toggleButton.textContent = task.status === 'enabled' ? 'Disable' : 'Enable';
    fill(varsTable, table('', ['Name', 'Type', 'Value', 'Description'], varsRows(task.vars), { empty: 'No vars.' }));
  }

  let wasExecuting = Boolean(task && task.executing);
  async function refresh() {
    task = await get(`${V1}/tasks/${seg(id)}?script-format=raw`);
    if (wasExecuting && !task.executing) schedule(); // the counters stop: show the script's DAG again
    wasExecuting = task.executing;
    showSummary();
    const stats = task.executing && task.stats ? task.stats['node-stats'] : null;
    if (task.executing || !editor.value) await dag.update(task.dot, stats);
    fill(nodeTable, table('Node counters', ['Node', 'Collected', 'Emitted', 'Errors', 'Avg exec time', 'Cardinality'],
      Object.entries(stats || {}).map(([name, st]) => [name, st.collected, st.emitted, st.errors, fmtNs(st.avg_exec_time_ns), st.working_cardinality]),
      { empty: 'Counters appear while the task is executing.' }));
    const names = httpOutNames(task.script || '');
    const parts = await Promise.all(names.map(async (name) => {
      try {
        return [h('h3', {}, `/kapacitor/v1/tasks/${id}/${name}`), seriesTables(name, await get(`${V1}/tasks/${seg(id)}/${seg(name)}`))];
      } catch (err) {
        return [h('h3', {}, `/kapacitor/v1/tasks/${id}/${name}`), h('p', { class: 'empty' }, err instanceof ApiError && err.status === 404 ? 'No result yet (the task is not executing).' : err.message)];
      }
    }));
    fill(httpBox, parts.length ? parts : h('p', { class: 'empty' }, 'The script has no httpOut node.'));
  }

  // -- the log tail: one chunked response, one JSON entry per line
  const abort = new AbortController();
  async function tail() {
    const resp = await request(`${PREVIEW}/logs?task=${encodeURIComponent(id)}`, { raw: true, headers: { 'Content-Type': 'application/json' }, signal: abort.signal });
    const reader = resp.body.getReader();
    const decoder = new TextDecoder();
    let buffer = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      buffer += decoder.decode(value, { stream: true });
      let nl;
      while ((nl = buffer.indexOf('\n')) >= 0) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        if (line.trim()) addLog(line);
      }
    }
  }
  function addLog(line) {
    let text = line;
    try {
      const entry = JSON.parse(line);
      const { ts, lvl, msg, ...rest } = entry;
      text = `${ts || ''} ${lvl || ''} ${msg || ''} ${Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ')}`;
    } catch (_) { /* a logfmt line is shown as it is */ }
    for (const el of logList.querySelectorAll('.empty')) el.remove();
    logList.append(h('li', {}, text));
    while (logList.children.length > 200) logList.firstElementChild.remove();
  }

  schedule();
  if (isNew) return () => clearTimeout(timer);
  showSummary();
  tail().catch((err) => { if (err.name !== 'AbortError') logList.append(h('li', { class: 'error-text' }, `log tail stopped: ${err.message}`)); });
  const stop = every(1500, refresh);
  return () => { stop(); clearTimeout(timer); abort.abort(); };
}
