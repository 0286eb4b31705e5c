// The shop dashboard: renders the gateway's snapshots (Server-Sent Events from /api/events) and
// sends the chaos controls. Plain DOM and uPlot, no build step.
import { createCharts } from './dashboard-charts.js';
import { renderGraph } from './dashboard-graph.js';

const $ = (selector) => document.querySelector(selector);
const h = (tag, attrs = {}, ...children) => {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (key.startsWith('data-')) el.setAttribute(key, value);
    else el[key] = value;
  }
  el.append(...children.filter((c) => c !== undefined && c !== null));
  return el;
};

function toast(text) {
  const el = $('#toast');
  el.textContent = text;
  el.classList.add('show');
  clearTimeout(toast.timer);
  toast.timer = setTimeout(() => el.classList.remove('show'), 2500);
}

// A gateway started with BALLAST_GATEWAY_TOKEN wants it on every control: it is asked for once
// per tab (or given as #token=… in the URL) and kept in sessionStorage, never in a cookie that
// another site's requests would carry along.
const TOKEN_KEY = 'ballast-gateway-token';
const fromFragment = new URLSearchParams(location.hash.slice(1)).get('token');
if (fromFragment) {
  sessionStorage.setItem(TOKEN_KEY, fromFragment);
  history.replaceState(null, '', location.pathname + location.search);
}

async function post(path, body, method = 'POST', retried = false) {
  const token = sessionStorage.getItem(TOKEN_KEY);
  const response = await fetch(path, {
    method,
    // JSON is the only body type the gateway accepts for a control.
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: JSON.stringify(body ?? {}),
  });
  const json = await response.json().catch(() => ({}));
  if (response.status === 401 && !retried) {
    const entered = prompt(`${json.error ?? 'This gateway needs a control token.'}\n\nToken:`);
    if (entered) {
      sessionStorage.setItem(TOKEN_KEY, entered.trim());
      return post(path, body, method, true);
    }
  }
  if (!response.ok) throw new Error(json.error ?? `HTTP ${response.status}`);
  return json;
}

function act(path, label, body) {
  post(path, body).then(
    () => toast(label),
    (error) => toast(`${label} failed: ${error.message}`),
  );
}

function renderReplicas(replicas) {
  const rows = replicas.map((r) =>
    h(
      'tr',
      { 'data-replica': r.name, 'data-state': r.state },
      h('td', {}, r.name),
      h('td', {}, h('span', { className: `state state-${r.state}`, title: r.detail }, r.state)),
      h('td', { className: 'muted' }, r.address),
      h('td', { className: 'num' }, r.callsPerSecond.toFixed(1)),
      h('td', { className: 'num' }, String(r.inFlight)),
      h('td', { className: 'num' }, r.rttMs === null ? '–' : `${r.rttMs} ms`),
      h('td', { className: 'num' }, r.delayMs ? `${r.delayMs} ms` : ''),
      h('td', { className: 'num' }, String(r.restarts)),
      h(
        'td',
        {},
        ...['kill', 'freeze', 'drain', 'slow', 'heal'].map((action) =>
          h(
            'button',
            {
              'data-action': action,
              onclick: () => act(`/api/replicas/${encodeURIComponent(r.name)}/${action}`, `${action} ${r.name}`),
            },
            action,
          ),
        ),
      ),
    ),
  );
  $('#replicas tbody').replaceChildren(...rows);
}

const charts = createCharts($('#charts'));
// Exposed so that a test (or a curious reader in the console) can read what the charts draw.
window.shopCharts = charts;
const time = (at) => new Date(at).toISOString().slice(11, 21);

function renderTimeline(events) {
  const items = [...events]
    .reverse()
    .map((e) =>
      h(
        'li',
        { className: `event event-${e.kind}`, 'data-kind': e.kind, 'data-subject': e.subject },
        h('time', {}, time(e.at)),
        ' ',
        h('span', { className: 'kind' }, e.kind),
        ' ',
        e.text,
      ),
    );
  $('#timeline').replaceChildren(...(items.length ? items : [h('li', { className: 'muted' }, 'nothing yet')]));
}

function renderStartup(startup) {
  const el = $('#startup');
  el.hidden = startup.serving === startup.total;
  el.textContent = startup.ready
    ? `${startup.total - startup.serving} of ${startup.total} replicas not serving`
    : `starting: ${startup.serving} of ${startup.total} replicas serving`;
}

function render(state) {
  $('#mode').textContent = state.mode === 'etcd' ? 'etcd mode: one process per replica' : 'embedded mode (no etcd)';
  $('#updated').textContent = `updated ${new Date(state.at).toLocaleTimeString()}`;
  renderStartup(state.startup);
  renderReplicas(state.replicas);
  renderGraph($('#graph'), state);
  charts.setFaults(state.timeline);
  charts.add(state.sample);
  renderTimeline(state.timeline);
  const load = state.load;
  $('#load').replaceChildren(
    ...[
      ['running', load.running ? `yes (${load.concurrency} clients)` : 'no'],
      ['orders/s', load.perSecond],
      ['placed', load.placed],
      ['confirmed', load.confirmed],
      ['failed (stock/payment)', load.failed],
      ['errors', load.errors],
      ['latency p50 / p99', `${load.p50Ms} / ${load.p99Ms} ms`],
    ].flatMap(([k, v]) => [h('dt', {}, k), h('dd', {}, String(v))]),
  );
  const p = state.payments;
  const rejected = state.paymentsRejected;
  $('#payments-now').textContent =
    `in force: latency ${p.latencyMs} ms, failure rate ${p.failureRate}, decline rate ${p.declineRate}` +
    (rejected ? ` (the stored value was rejected: ${rejected.field} ${rejected.reason}; apply a valid one)` : '');
  const form = $('#payments');
  if (!form.contains(document.activeElement)) {
    for (const key of ['latencyMs', 'failureRate', 'declineRate']) form.elements[key].value = p[key];
  }
  $('#etcd').replaceChildren(
    ...(state.etcd
      ? state.etcd.map((m) =>
          h(
            'li',
            { className: m.leader ? 'leader' : '' },
            `${m.name} ${m.running ? 'up' : 'down'}${m.leader ? ' ★ leader' : ''}`,
          ),
        )
      : [h('li', { className: 'muted' }, 'embedded mode: MemoryStore, no etcd')]),
  );
  $('#kill-leader').disabled = !state.etcd;
  $('#breakers').replaceChildren(
    ...(state.breakers.length
      ? state.breakers.map((b) => h('li', {}, `${b.client} ${b.name.replace(/^.*\//, '')}: `, h('b', {}, b.state)))
      : [h('li', { className: 'muted' }, 'no calls yet')]),
  );
  $('#budgets').replaceChildren(
    ...state.retryBudgets.map((b) =>
      h('li', {}, `${b.client}: ${b.retries} retries / ${b.firstAttempts} calls, ${b.refused} refused`),
    ),
  );
  $('#stock tbody').replaceChildren(
    ...state.stock.map((s) =>
      h(
        'tr',
        {},
        h('td', {}, s.sku),
        h('td', { className: 'num' }, String(s.available)),
        h('td', { className: 'num' }, String(s.reserved)),
      ),
    ),
  );
}

$('#load-start').onclick = () => act('/api/load/start', 'load started', { concurrency: 4 });
$('#load-stop').onclick = () => act('/api/load/stop', 'load stopped');
$('#kill-leader').onclick = () => act('/api/etcd/kill-leader', 'etcd leader killed');
$('#payments').onsubmit = (event) => {
  event.preventDefault();
  const form = event.target;
  const body = Object.fromEntries(
    ['latencyMs', 'failureRate', 'declineRate'].map((k) => [k, Number(form.elements[k].value)]),
  );
  post('/api/config/payments', body, 'PUT').then(
    () => toast('payments config applied'),
    (error) => toast(`rejected: ${error.message}`),
  );
};

// The slowest of the recent orders, as a trace waterfall: one bar per span (the order, each call,
// each attempt of it, each server span), placed and sized on the order's own time line.
function renderWaterfall(waterfall) {
  const box = $('#waterfall');
  if (!waterfall) return;
  $('#waterfall-summary').textContent =
    `${waterfall.durationMs.toFixed(1)} ms, ${waterfall.bars.length} spans, trace ${waterfall.traceId}`;
  const total = Math.max(waterfall.durationMs, 0.001);
  box.replaceChildren(
    ...waterfall.bars.map((bar) =>
      h(
        'div',
        { className: `span-row ${bar.kind}${bar.error ? ' error' : ''}` },
        h('span', { className: 'span-name', title: bar.detail }, `${'  '.repeat(bar.depth)}${bar.name}`),
        h(
          'span',
          { className: 'span-track' },
          h('span', {
            className: 'span-bar',
            title: `${bar.durationMs.toFixed(2)} ms ${bar.detail}`,
            style: `left: ${(100 * bar.startMs) / total}%; width: ${Math.max(0.5, (100 * bar.durationMs) / total)}%`,
          }),
        ),
        h('span', { className: 'span-detail' }, `${bar.durationMs.toFixed(1)} ms ${bar.detail}`),
      ),
    ),
  );
}
const refreshWaterfall = () =>
  fetch('/api/slowest-order')
    .then((response) => response.json())
    .then((body) => renderWaterfall(body.waterfall))
    .catch(() => undefined);
refreshWaterfall();
setInterval(refreshWaterfall, 3000);

// The history first, then each new point as the snapshots bring it (again after a reconnect).
const loadHistory = () =>
  fetch('/api/history')
    .then((response) => response.json())
    .then((body) => charts.setHistory(body.samples))
    .catch(() => undefined);
const events = new EventSource('/api/events');
events.onopen = loadHistory;
events.onmessage = (message) => render(JSON.parse(message.data));
events.onerror = () => ($('#mode').textContent = 'reconnecting…');
