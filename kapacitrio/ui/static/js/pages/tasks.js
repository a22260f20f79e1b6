// Tasks: the list with status, errors and throughput; enable, disable, delete; filter by pattern.
import { V1, del, get, patch, seg } from '../api.js';
import { act, every, field, fill, h, keepFocus, notify, table } from '../dom.js';

const FIELDS = 'type,status,executing,error,dbrps,stats';

function dbrpText(dbrps) {
  return (dbrps || []).map((d) => `"${d.db}"."${d.rp}"`).join(', ');
}

function throughput(task) {
  const rate = task.stats && task.stats['task-stats'] ? task.stats['task-stats'].throughput : 0;
  return `${Number(rate || 0).toFixed(2)} points/s`;
}

export async function render(main) {
  const pattern = h('input', { type: 'search', placeholder: 'e.g. cpu*', 'aria-describedby': 'pattern-hint', value: sessionStorage.getItem('kapacitrio.pattern') || '' });
  const list = h('div', { 'aria-live': 'off' });
  main.append(
    h('div', { class: 'page-head' }, h('h1', {}, 'Tasks'), h('a', { class: 'button', href: '#/tasks/new' }, 'New task')),
    h('form', { class: 'inline', role: 'search', onsubmit: (e) => { e.preventDefault(); refresh(); } },
      field('Filter by pattern', pattern),
      h('span', { id: 'pattern-hint', class: 'hint' }, 'Shell glob on the task ID (* and ?).')),
    list);

  async function toggle(button, task) {
    const status = task.status === 'enabled' ? 'disabled' : 'enabled';
    await act(button, async () => {
      await patch(`${V1}/tasks/${seg(task.id)}`, { status });
      notify(`Task ${task.id} ${status}.`);
      await refresh();
    });
  }

  async function remove(button, task) {
    if (!confirm(`Delete task ${task.id}?`)) return;
    await act(button, async () => {
      await del(`${V1}/tasks/${seg(task.id)}`);
      notify(`Task ${task.id} deleted.`);
      await refresh();
    });
  }

  async function refresh() {
    sessionStorage.setItem('kapacitrio.pattern', pattern.value);
    const query = new URLSearchParams(FIELDS.split(',').map((f) => ['fields', f]));
    query.set('limit', '1000');
    if (pattern.value.trim()) query.set('pattern', pattern.value.trim());
    const body = await get(`${V1}/tasks?${query}`);
    const rows = body.tasks.map((t) => {
      const toggleButton = h('button', { type: 'button', onclick: (e) => toggle(e.currentTarget, t), 'aria-label': `${t.status === 'enabled' ? 'Disable' : 'Enable'} ${t.id}` }, t.status === 'enabled' ? 'Disable' : 'Enable');
      const deleteButton = h('button', { type: 'button', class: 'danger', onclick: (e) => remove(e.currentTarget, t), 'aria-label': `Delete ${t.id}` }, 'Delete');
      return [
        h('a', { href: `#/tasks/${seg(t.id)}` }, t.id),
        t.type,
        h('span', { class: `status-${t.status}` }, t.status),
        t.executing ? 'yes' : 'no',
        t.error ? h('span', { class: 'error-text' }, t.error) : '',
        dbrpText(t.dbrps),
        throughput(t),
        h('span', { class: 'actions' }, toggleButton, deleteButton),
      ];
    });
    keepFocus(list, () => fill(list, table(`${rows.length} task${rows.length === 1 ? '' : 's'}`,
      ['ID', 'Type', 'Status', 'Executing', 'Error', 'DBRPs', 'Throughput', 'Actions'], rows,
      { empty: pattern.value ? 'No task matches the pattern.' : 'No tasks yet.' })));
  }

  pattern.addEventListener('input', () => refresh().catch((err) => notify(err.message, 'error')));
  return every(3000, refresh);
}
