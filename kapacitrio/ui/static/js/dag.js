// A task's DAG as SVG: laid out by the server from the DOT, counters updated in place.
import { PREVIEW, post } from './api.js';
import { fmtNs, h } from './dom.js';

const SVG = 'http://www.w3.org/2000/svg';

function s(tag, attrs = {}, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return el;
}

/** The edges of a DOT text (tail, head, attributes), and its node names in order. */
export function parseDot(dot) {
  const nodes = [];
  const edges = [];
  const seen = new Set();
  const add = (n) => { if (!seen.has(n)) { seen.add(n); nodes.push(n); } };
  for (const line of (dot || '').split('\n').slice(1)) {
    const edge = line.match(/^\s*(\w+)\s*->\s*(\w+)\s*(?:\[(.*)\])?/);
    if (edge) {
      add(edge[1]); add(edge[2]);
      const processed = (edge[3] || '').match(/processed="([^"]*)"/);
      edges.push({ from: edge[1], to: edge[2], processed: processed ? processed[1] : null });
      continue;
    }
    const node = line.match(/^\s*(\w+)\s*\[/);
    if (node && !['graph', 'node', 'edge'].includes(node[1])) add(node[1]);
  }
  return { nodes, edges };
}

function bezier(points) {
  const p = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`);
  if (p.length < 4) return `M${p[0]} L${p.slice(1).join(' ')}`;
  return `M${p[0]} C${p.slice(1).join(' ')}`;
}

/** createDag(container, title) -> {update(dot, nodeStats)}; counters show '–' when not executing. */
export function createDag(container, title) {
  let shape = '';
  let boxes = new Map();
  let edgeLabels = new Map();
  let pending = null;

  async function draw(dot, parsed) {
    const layout = await post(`${PREVIEW}/dag/layout`, { dot });
    const pad = 12;
    const svg = s('svg', {
      viewBox: `${-pad} ${-pad} ${layout.width + 2 * pad} ${layout.height + 2 * pad}`,
      width: layout.width + 2 * pad, role: 'img', 'aria-labelledby': 'dag-title', class: 'dag',
      'data-engine': layout.engine,
    });
    svg.append(s('title', { id: 'dag-title' }, title()));
    svg.append(s('defs', {}, s('marker', { id: 'arrow', viewBox: '0 0 10 10', refX: 9, refY: 5, markerWidth: 7, markerHeight: 7, orient: 'auto-start-reverse' }, s('path', { d: 'M0,0 L10,5 L0,10 z', class: 'arrowhead' }))));
    edgeLabels = new Map();
    for (const e of layout.edges) {
      const g = s('g', { class: 'edge' });
      g.append(s('path', { d: bezier(e.points), 'marker-end': 'url(#arrow)' }));
      const mid = e.points[Math.floor(e.points.length / 2)];
      const label = s('text', { x: mid[0] + 6, y: mid[1], class: 'edge-label', 'data-edge': `${e.from}->${e.to}` }, '');
      g.append(label);
      edgeLabels.set(`${e.from}->${e.to}`, label);
      svg.append(g);
    }
    boxes = new Map();
    for (const n of layout.nodes) {
      const g = s('g', { class: 'node', 'data-node': n.id, transform: `translate(${n.x},${n.y})` });
      g.append(s('rect', { width: n.width, height: n.height, rx: 6 }));
      g.append(s('text', { x: 10, y: 19, class: 'node-name' }, n.id));
      const counters = {};
      const row = (y, items) => {
        const t = s('text', { x: 10, y, class: 'counter' });
        for (const [key, label] of items) {
          const value = s('tspan', { 'data-counter': key }, '–');
          t.append(s('tspan', {}, `${label} `), value, s('tspan', {}, '  '));
          counters[key] = value;
        }
        g.append(t);
      };
      row(38, [['collected', 'in'], ['emitted', 'out']]);
      row(55, [['errors', 'errors'], ['working_cardinality', 'card']]);
      row(72, [['avg_exec_time_ns', 'avg']]);
      boxes.set(n.id, { g, counters });
      svg.append(g);
    }
    container.replaceChildren(svg, h('p', { class: 'hint' }, `Layout: ${layout.engine === 'graphviz' ? 'Graphviz dot' : 'layered (Graphviz not installed)'}.`));
    shape = signature(parsed);
  }

  function signature(parsed) {
    return JSON.stringify([parsed.nodes, parsed.edges.map((e) => [e.from, e.to])]);
  }

  function counters(parsed, stats) {
    for (const [id, { g, counters: c }] of boxes) {
      const st = stats ? stats[id] : null;
      for (const [key, el] of Object.entries(c)) {
        const v = st && key in st ? (key === 'avg_exec_time_ns' ? fmtNs(st[key]) : String(st[key])) : '–';
        if (el.textContent !== v) el.textContent = v;
      }
      g.classList.toggle('has-errors', Boolean(st && st.errors > 0));
    }
    for (const e of parsed.edges) {
      const label = edgeLabels.get(`${e.from}->${e.to}`);
      if (label) label.textContent = e.processed !== null ? e.processed : '';
    }
  }

  async function update(dot, stats) {
    if (!dot) { container.replaceChildren(h('p', { class: 'empty' }, 'No DAG: the script does not compile.')); shape = ''; return; }
    const parsed = parseDot(dot);
    if (signature(parsed) !== shape) {
      pending = pending || draw(dot, parsed).finally(() => { pending = null; });
      await pending;
    }
    counters(parsed, stats);
  }

  return { update };
}
