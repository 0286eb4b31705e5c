// The system over the last few minutes, drawn with uPlot (served from node_modules by the
// gateway): calls/s per replica, order latency, errors and shedding, retries and hedges. Each
// fault of the timeline is a red line across every chart.
/* global uPlot */
const WINDOW_MS = 5 * 60_000;
const SERVICE_COLORS = { catalog: '#2f7ed8', inventory: '#8e44ad', orders: '#e67e22', payments: '#16a085' };
const shade = (color, i) => (i % 2 ? color + '99' : color);

const CHARTS = [
  { id: 'calls', title: 'calls/s received per replica', perReplica: true },
  {
    id: 'latency',
    title: 'order latency (ms)',
    series: [
      ['p50', (s) => s.p50Ms, '#2f7ed8'],
      ['p99', (s) => s.p99Ms, '#c0392b'],
    ],
  },
  {
    id: 'errors',
    title: 'errors and shed calls per second',
    series: [
      ['order errors/s', (s) => s.errorsPerSecond, '#c0392b'],
      ['shed/s', (s) => s.shedPerSecond, '#f39c12'],
    ],
  },
  {
    id: 'recovery',
    title: 'retries and hedges per second',
    series: [
      ['retries/s', (s) => s.retriesPerSecond, '#8e44ad'],
      ['hedges/s', (s) => s.hedgesPerSecond, '#16a085'],
    ],
  },
];

/** Draws the fault moments as vertical lines, and counts those in view on the chart's element. */
function faultMarks(getFaults, box) {
  return {
    hooks: {
      draw: [
        (u) => {
          const [min, max] = [u.scales.x.min, u.scales.x.max];
          const faults = getFaults().filter((f) => f.at / 1000 >= min && f.at / 1000 <= max);
          box.dataset.faultMarks = String(faults.length);
          const { ctx } = u;
          ctx.save();
          ctx.strokeStyle = '#c0392b';
          ctx.fillStyle = '#c0392b';
          ctx.lineWidth = 1.5 * devicePixelRatio;
          ctx.setLineDash([4 * devicePixelRatio, 3 * devicePixelRatio]);
          ctx.font = `${10 * devicePixelRatio}px sans-serif`;
          for (const fault of faults) {
            const x = Math.round(u.valToPos(fault.at / 1000, 'x', true));
            ctx.beginPath();
            ctx.moveTo(x, u.bbox.top);
            ctx.lineTo(x, u.bbox.top + u.bbox.height);
            ctx.stroke();
            ctx.fillText(fault.subject, x + 3 * devicePixelRatio, u.bbox.top + 10 * devicePixelRatio);
          }
          ctx.restore();
        },
      ],
    },
  };
}

export function createCharts(root) {
  let samples = [];
  let faults = [];
  let replicas = [];
  const plots = {};
  const boxes = {};
  for (const chart of CHARTS) {
    const box = document.createElement('div');
    box.className = 'chart';
    box.id = `chart-${chart.id}`;
    root.append(box);
    boxes[chart.id] = box;
  }
  const width = () => Math.max(320, Math.floor(root.clientWidth / 2) - 16);

  const seriesOf = (chart) =>
    chart.perReplica
      ? replicas.map((name, i) => [
          name,
          (s) => s.calls[name] ?? null,
          shade(SERVICE_COLORS[name.replace(/-\d+$/, '')] ?? '#555', i),
        ])
      : chart.series;

  const build = (chart) => {
    plots[chart.id]?.destroy();
    const box = boxes[chart.id];
    box.replaceChildren();
    const series = seriesOf(chart);
    plots[chart.id] = new uPlot(
      {
        title: chart.title,
        width: width(),
        height: 200,
        plugins: [faultMarks(() => faults, box)],
        scales: { x: { time: true }, y: { range: (_u, _min, max) => [0, Math.max(1, max * 1.1)] } },
        series: [
          {},
          ...series.map(([label, , stroke]) => ({
            label,
            stroke,
            width: 1.5,
            spanGaps: false,
            points: { show: false },
          })),
        ],
        axes: [{}, { size: 50 }],
        legend: { live: false },
      },
      dataOf(series),
      box,
    );
    box.dataset.series = JSON.stringify(series.map(([label]) => label));
  };

  const dataOf = (series) => [samples.map((s) => s.at / 1000), ...series.map(([, get]) => samples.map(get))];

  const redraw = () => {
    const known = new Set(replicas);
    const names = [...new Set(samples.flatMap((s) => Object.keys(s.calls)))].sort();
    const changed = names.length !== replicas.length || names.some((n) => !known.has(n));
    if (changed) replicas = names;
    for (const chart of CHARTS) {
      if (!plots[chart.id] || (changed && chart.perReplica)) build(chart);
      else plots[chart.id].setData(dataOf(seriesOf(chart)));
    }
  };

  const trim = () => {
    const from = (samples.at(-1)?.at ?? 0) - WINDOW_MS;
    samples = samples.filter((s) => s.at >= from);
  };

  addEventListener('resize', () => {
    for (const plot of Object.values(plots)) plot.setSize({ width: width(), height: 200 });
  });

  return {
    /** The charts' own data, by chart id: what is drawn (the tests read it). */
    plots,
    setHistory(all) {
      samples = [...all];
      trim();
      redraw();
    },
    add(sample) {
      if (!sample || samples.at(-1)?.at === sample.at) return;
      samples.push(sample);
      trim();
      redraw();
    },
    setFaults(events) {
      faults = events.filter((e) => e.kind === 'fault');
    },
  };
}
