// #/workers : the connected workers, live: host, pools, CPU, memory, jobs
// done and failed, last heartbeat; drain (after a confirmation).

import { post, segment } from './api.js';
import { KeyedTable, actionButton, confirmDialog, el, pageHeader } from './dom.js';
import { bytes, count, duration, num, percent } from './format.js';

export function title() {
  return 'Workers';
}

function pools(worker) {
  const list = worker.pools ?? [];
  if (list.length === 0) {
    return '-';
  }
  return list.map((p) => `${p.kind} ${count(p.in_flight)}/${count(p.capacity)}`).join(', ');
}

function inFlight(worker) {
  return (worker.pools ?? []).reduce((sum, p) => sum + num(p.in_flight), 0);
}

export function mount(ctx) {
  const drains = new Map();
  const drainButton = (w) => {
    let button = drains.get(w.name);
    if (!button) {
      button = actionButton(
        'Drain',
        async () => {
          const sure = await confirmDialog(
            `Drain worker ${w.name}?`,
            `It gets a sentinel for each of its queues, finishes the ${count(inFlight(w))} jobs it holds, then exits.`,
            'Drain',
          );
          if (!sure) {
            return;
          }
          ctx.run(async () => {
            const answer = await post(`/api/workers/${segment(w.name)}/drain`, {}, ctx.signal);
            const queues = (answer.queues ?? []).join(', ') || 'no queues';
            ctx.notify('ok', `Worker ${w.name} draining (sentinels for ${queues}); ${count(answer.in_flight)} jobs still to finish.`);
          });
        },
        { danger: true },
      );
      drains.set(w.name, button);
    }
    return button;
  };

  const table = new KeyedTable({
    keyOf: (w) => w.name,
    rowAttributes: (w) => ({ dataset: { worker: w.name } }),
    empty: 'No workers connected.',
    columns: [
      { head: 'Worker', class: 'name', cell: (w) => w.name },
      { head: 'Host', cell: (w) => w.host || '-' },
      { head: 'PID', class: 'num', cell: (w) => String(w.pid ?? '-') },
      { head: 'Queues', class: 'col-queues', cell: (w) => (w.queues ?? []).join(', ') || '-' },
      { head: 'Pools (in flight/capacity)', cell: pools },
      { head: 'CPU', class: 'num', cell: (w) => percent(w.cpu_percent) },
      { head: 'RSS', class: 'num', cell: (w) => bytes(w.rss_bytes) },
      { head: 'Done', class: 'num', cell: (w) => count(w.jobs_done) },
      { head: 'Failed', class: 'num', cell: (w) => count(w.jobs_failed) },
      { head: 'Heartbeat', class: 'num', cell: (w) => `${duration(w.last_heartbeat_ms_ago)} ago` },
      { head: 'Actions', class: 'actions', cell: drainButton },
    ],
  });
  ctx.view.append(
    pageHeader('Workers'),
    el('p', { class: 'hint' }, 'Live. A drained worker finishes what it holds and exits, as on SIGTERM.'),
    table.element,
  );
  ctx.onSnapshot((snapshot) => table.update(snapshot.workers ?? []));
}
