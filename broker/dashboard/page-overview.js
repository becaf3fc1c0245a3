// #/ : live throughput and depth charts over the last five minutes, the
// broker's own figures, and its counters.

import { LineChart } from './chart.js';
import { definitionList, el, pageHeader, section, setText } from './dom.js';
import { count, duration, num, rate, seconds } from './format.js';
import { HISTORY_MS } from './live.js';

export function title() {
  return 'Overview';
}

// The charts' window: the snapshots of the last five minutes are kept
// whichever is shown. Kept while the tab lives.
const WINDOWS = [
  [60 * 1000, '1 minute'],
  [HISTORY_MS, '5 minutes'],
];
let chosenWindowMs = HISTORY_MS;

const depthFormat = (value) => (Number.isInteger(value) ? count(value) : value.toFixed(1));

export function mount(ctx) {
  const throughput = new LineChart({
    title: 'Throughput (jobs per second)',
    windowMs: HISTORY_MS,
    format: rate,
    series: [
      { key: 'submitted', label: 'submitted', color: '--series-submitted' },
      { key: 'finished', label: 'finished', color: '--series-finished' },
      { key: 'failed', label: 'failed', color: '--series-failed' },
    ],
  });
  const depth = new LineChart({
    title: 'Depth by state (jobs)',
    windowMs: HISTORY_MS,
    format: depthFormat,
    series: [
      { key: 'queued', label: 'queued', color: '--series-queued' },
      { key: 'scheduled', label: 'scheduled', color: '--series-scheduled' },
      { key: 'running', label: 'running', color: '--series-running' },
    ],
  });
  const windowSelect = el(
    'select',
    { id: 'chart-window' },
    WINDOWS.map(([ms, label]) => el('option', { value: String(ms), selected: ms === chosenWindowMs }, label)),
  );
  windowSelect.addEventListener('change', () => {
    chosenWindowMs = Number(windowSelect.value);
    throughput.windowMs = chosenWindowMs;
    depth.windowMs = chosenWindowMs;
    draw();
  });
  throughput.windowMs = chosenWindowMs;
  depth.windowMs = chosenWindowMs;
  const broker = el('div');
  const counters = el('div');
  const internals = el('div');
  ctx.view.append(
    pageHeader('Overview', el('label', { for: 'chart-window' }, 'Charts over the last'), windowSelect),
    el('div', { class: 'charts' }, throughput.element, depth.element),
    el('div', { class: 'columns' }, section('Broker', broker), section('Counters', counters), section('Loop and store', internals)),
  );

  const draw = () => {
    const history = ctx.live.history;
    const now = history.length ? history[history.length - 1].t : Date.now();
    throughput.draw(history, now);
    depth.draw(history, now);
  };
  // Redrawn with each snapshot, and when the window is resized.
  const onResize = () => draw();
  window.addEventListener('resize', onResize);
  ctx.onLeave(() => window.removeEventListener('resize', onResize));

  // The key/value blocks change rarely: rebuilt only when their text does.
  let brokerText = '';
  let countersText = '';
  let internalsText = '';
  ctx.onSnapshot((snapshot) => {
    draw();
    const info = brokerInfo(snapshot);
    const infoText = JSON.stringify(info);
    if (infoText !== brokerText) {
      brokerText = infoText;
      broker.replaceChildren(definitionList(info, { dataset: { panel: 'broker' } }));
    }
    const rows = counterRows(snapshot);
    const rowsText = JSON.stringify(rows);
    if (rowsText !== countersText) {
      countersText = rowsText;
      counters.replaceChildren(definitionList(rows, { dataset: { panel: 'counters' } }));
    }
    const loop = internalRows(snapshot);
    const loopText = JSON.stringify(loop);
    if (loopText !== internalsText) {
      internalsText = loopText;
      internals.replaceChildren(definitionList(loop));
    }
  });
  // Uptime moves every second: kept current without a rebuild.
  ctx.onSnapshot((snapshot) => {
    const node = broker.querySelector('[data-field="uptime"]');
    if (node) {
      setText(node, duration(snapshot.uptime_ms));
    }
  });
}

function brokerInfo(s) {
  const workflows = s.workflows ?? {};
  return [
    ['Version', s.version ?? '-', 'version'],
    ['Uptime', '…', 'uptime'],
    ['Store', s.store ?? '-', 'store'],
    ['Durability', s.durable ? 'durable: acknowledged jobs survive a crash' : 'not durable: memory only', 'durable'],
    ['Dashboard', location.host],
    ['Jobs kept', count(s.jobs_kept)],
    ['Schedules', count(s.schedules_total)],
    ['Workflows', `${count(workflows.running)} running, ${count(workflows.succeeded)} succeeded, ${count(workflows.failed)} failed`],
    s.shutting_down ? ['State', 'shutting down: draining its workers', 'state'] : null,
  ];
}

function counterRows(s) {
  const c = s.counters ?? {};
  const refused = s.admin_auth_refused ?? {};
  return [
    ['Submitted', count(c.submitted)],
    ['Succeeded', count(c.succeeded)],
    ['Failed', count(c.failed)],
    ['Requeued', count(c.requeued)],
    ['Rejected', count(c.rejected)],
    ['Bad messages', count(c.bad_messages)],
    ['Late results', count(c.late_results)],
    ['Progress reports', `${count(c.progress_accepted)} kept, ${count(c.progress_late)} late, ${count(c.progress_refused)} refused`],
    ['Admin calls refused', `${count(num(refused.missing) + num(refused.unknown) + num(refused.forbidden))}`],
    s.http_refused ? ['Dashboard requests refused', count(Object.values(s.http_refused).reduce((a, b) => a + num(b), 0))] : null,
    s.http_event_streams !== undefined ? ['Dashboard streams open', count(s.http_event_streams)] : null,
  ];
}

function internalRows(s) {
  const f = s.figures ?? {};
  const figure = (latency) =>
    latency && num(latency.count) > 0
      ? `p50 ${seconds(latency.p50_seconds)}, p99 ${seconds(latency.p99_seconds)}, max ${seconds(latency.max_seconds)}`
      : '-';
  const t = f.throughput ?? {};
  return [
    ['Submitted', `${rate(t.submitted?.last_10s)} (10 s), ${rate(t.submitted?.last_60s)} (60 s)`],
    ['Finished', `${rate(t.finished?.last_10s)} (10 s), ${rate(t.finished?.last_60s)} (60 s)`],
    ['Loop iteration', figure(f.loop_iteration)],
    ['Store commit', figure(f.store_commit)],
  ];
}
