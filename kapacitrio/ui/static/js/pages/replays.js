// Recordings and replays: lists with status and progress; start a replay, delete either.
import { V1, del, get, post, seg } from '../api.js';
import { act, every, field, fill, h, keepFocus, notify, table } from '../dom.js';

const progress = (p, label) => h('progress', { max: 1, value: Number(p) || 0, 'aria-label': label }, `${Math.round((Number(p) || 0) * 100)}%`);

export async function render(main) {
  const recBox = h('div');
  const repBox = h('div');
  const taskSel = h('select');
  const recSel = h('select');
  const clock = h('select', {}, h('option', { value: 'fast' }, 'fast'), h('option', { value: 'real' }, 'real'));
  main.append(h('h1', {}, 'Recordings & replays'),
    h('section', { 'aria-labelledby': 'rec-h' }, h('h2', { id: 'rec-h' }, 'Recordings'), recBox),
    h('section', { 'aria-labelledby': 'rep-h' }, h('h2', { id: 'rep-h' }, 'Replays'), repBox,
      h('form', { class: 'inline', onsubmit: (e) => { e.preventDefault(); start(e.submitter); } },
        ...field('Task', taskSel), ...field('Recording', recSel), ...field('Clock', clock),
        h('button', { type: 'submit' }, 'Start replay'))));

  async function start(button) {
    await act(button, async () => {
      const r = await post(`${V1}/replays`, { task: taskSel.value, recording: recSel.value, clock: clock.value });
      notify(`Replay ${r.id} started.`);
      await refresh();
    });
  }
  const delButton = (kind, id) => h('button', { type: 'button', class: 'danger', 'aria-label': `Delete ${kind} ${id}`, onclick: (e) => act(e.currentTarget, async () => { await del(`${V1}/${kind}s/${seg(id)}`); notify(`${kind} ${id} deleted.`); await refresh(); }) }, 'Delete');

  async function refresh() {
    const [recs, reps, tasks] = await Promise.all([get(`${V1}/recordings`), get(`${V1}/replays`), get(`${V1}/tasks?fields=type&limit=1000`)]);
    keepFocus(recBox, () => fill(recBox, table('', ['ID', 'Type', 'Size', 'Date', 'Status', 'Progress', 'Error', 'Actions'],
      recs.recordings.map((r) => [r.id, r.type, String(r.size), r.date, r.status, progress(r.progress, `Progress of recording ${r.id}`), r.error || '', delButton('recording', r.id)]),
      { empty: 'No recordings.' })));
    keepFocus(repBox, () => fill(repBox, table('', ['ID', 'Task', 'Recording', 'Clock', 'Status', 'Progress', 'Result', 'Actions'],
      reps.replays.map((r) => [r.id, r.task, r.recording, r.clock, r.status, progress(r.progress, `Progress of replay ${r.id}`), r.error ? h('span', { class: 'error-text' }, r.error) : (r.status === 'finished' ? 'ok' : ''), delButton('replay', r.id)]),
      { empty: 'No replays.' })));
    const keep = (sel, values) => {
      const was = sel.value;
      fill(sel, values.map((v) => h('option', { value: v, selected: v === was }, v)));
    };
    keep(taskSel, tasks.tasks.map((t) => t.id));
    keep(recSel, recs.recordings.map((r) => r.id));
  }
  return every(2000, refresh);
}
