// The call graph: the gateway, the orders replicas and the replicas they call, one line per hop
// that a caller's client knows, as thick as its traffic and coloured by that client's verdict.
const NS = 'http://www.w3.org/2000/svg';
const COLUMNS = [['gateway'], ['orders'], ['catalog', 'inventory', 'payments']];
const svg = (tag, attrs = {}, text) => {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  if (text !== undefined) el.textContent = text;
  return el;
};
const serviceOf = (name) => name.replace(/-\d+$/, '');

export function renderGraph(root, state) {
  const width = 900;
  const rowHeight = 34;
  const names = ['gateway', ...state.replicas.map((r) => r.name)];
  const columns = COLUMNS.map((services) =>
    names.filter((n) => services.includes(n === 'gateway' ? 'gateway' : serviceOf(n))),
  );
  const height = Math.max(...columns.map((c) => c.length)) * rowHeight + 20;
  const pos = new Map();
  columns.forEach((column, ci) => {
    const x = 90 + ci * ((width - 180) / (COLUMNS.length - 1));
    const top = (height - column.length * rowHeight) / 2 + rowHeight / 2;
    column.forEach((name, ri) => pos.set(name, { x, y: top + ri * rowHeight }));
  });
  const callerRank = new Map(columns.flatMap((column) => column.map((name, i) => [name, i % 2])));
  const reached = new Map(state.callers.map((c) => [c.caller, c.reached]));
  const replicaState = new Map(state.replicas.map((r) => [r.name, r.state]));
  const root$ = svg('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img' });
  root$.append(svg('title', {}, 'call graph: calls per second on each hop'));

  for (const edge of state.edges) {
    const [a, b] = [pos.get(edge.from), pos.get(edge.to)];
    if (!a || !b) continue;
    const stroke = Math.min(10, 1 + Math.log2(1 + edge.callsPerSecond));
    const g = svg('g', {
      class: `edge edge-${edge.state}${edge.callsPerSecond > 0 ? ' busy' : ''}`,
      'data-from': edge.from,
      'data-to': edge.to,
      'data-rate': edge.callsPerSecond,
    });
    const [x1, x2] = [a.x + 55, b.x - 55];
    g.append(svg('line', { x1, y1: a.y, x2, y2: b.y, 'stroke-width': stroke }));
    // Labelled near the callee, where the hops fanning out of one caller have room; an idle
    // healthy hop is drawn but not labelled.
    if (edge.callsPerSecond > 0 || edge.state !== 'up') {
      // Callers of one column label their hops at different distances, so labels do not collide.
      const t = 0.5 + 0.25 * (callerRank.get(edge.from) ?? 0);
      g.append(
        svg(
          'text',
          { x: x1 + t * (x2 - x1), y: a.y + t * (b.y - a.y) - 3, 'text-anchor': 'middle' },
          `${edge.callsPerSecond.toFixed(0)}/s${edge.state === 'up' ? '' : ` ${edge.state}`}`,
        ),
      );
    }
    root$.append(g);
  }
  for (const [name, p] of pos) {
    const state$ = name === 'gateway' ? 'serving' : (replicaState.get(name) ?? 'starting');
    const silent = reached.has(name) && !reached.get(name);
    const g = svg('g', { class: `node node-${state$}${silent ? ' silent' : ''}`, 'data-node': name });
    g.append(
      svg('rect', { x: p.x - 55, y: p.y - 12, width: 110, height: 24, rx: 6 }),
      svg('text', { x: p.x, y: p.y + 4, 'text-anchor': 'middle' }, silent ? `${name} (no report)` : name),
    );
    root$.append(g);
  }
  root.replaceChildren(root$);
}
