// Templates: the list, each script viewable, delete.
import { V1, del, get, seg } from '../api.js';
import { act, every, fill, h, keepFocus, notify, table } from '../dom.js';

export async function render(main) {
  const box = h('div');
  main.append(h('h1', {}, 'Templates'), box);
  async function refresh() {
    const body = await get(`${V1}/templates?script-format=formatted`);
    keepFocus(box, () => fill(box, table('', ['ID', 'Type', 'Vars', 'Modified', 'Script', 'Actions'],
      body.templates.map((t) => [t.id, t.type, Object.keys(t.vars || {}).join(', '), t.modified,
        h('details', {}, h('summary', {}, 'Script'), h('pre', {}, t.script)),
        h('button', { type: 'button', class: 'danger', 'aria-label': `Delete template ${t.id}`, onclick: (e) => { if (confirm(`Delete template ${t.id}?`)) act(e.currentTarget, async () => { await del(`${V1}/templates/${seg(t.id)}`); notify(`Template ${t.id} deleted.`); await refresh(); }); } }, 'Delete')]),
      { empty: 'No templates.' })));
  }
  return every(5000, refresh);
}
