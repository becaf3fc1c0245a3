// #/tasks : per task, live: jobs by outcome since the broker started, and
// the percentiles of queue wait and run time (the snapshot's figures).

import { KeyedTable, cached, el, pageHeader } from './dom.js';
import { count, num, seconds } from './format.js';

export function title() {
  return 'Tasks';
}

function latencyColumns(key, label) {
  return ['p50', 'p90', 'p99', 'max'].map((p) => ({
    head: `${label} ${p}`,
    class: 'num',
    cell: (t) => seconds(t[key]?.[`${p}_seconds`]),
  }));
}

// figures.tasks joined with figures.job_counts (summed over queues).
export function taskRows(snapshot) {
  const rows = new Map();
  const rowOf = (task) => {
    if (!rows.has(task)) {
      rows.set(task, { task, submitted: 0, succeeded: 0, failed: 0, cancelled: 0 });
    }
    return rows.get(task);
  };
  for (const figures of snapshot.figures?.tasks ?? []) {
    Object.assign(rowOf(figures.task), { queue_wait: figures.queue_wait, run_time: figures.run_time });
  }
  for (const counts of snapshot.figures?.job_counts ?? []) {
    const row = rowOf(counts.task);
    for (const key of ['submitted', 'succeeded', 'failed', 'cancelled']) {
      row[key] += num(counts[key]);
    }
  }
  return [...rows.values()].sort((a, b) => a.task.localeCompare(b.task));
}

export function mount(ctx) {
  const links = new Map();
  const table = new KeyedTable({
    keyOf: (t) => t.task,
    rowAttributes: (t) => ({ dataset: { task: t.task } }),
    empty: 'No task has run yet.',
    columns: [
      {
        head: 'Task',
        class: 'name',
        cell: (t) => cached(links, t.task, () => el('a', { href: `#/jobs?task=${encodeURIComponent(t.task)}` }, t.task)),
      },
      { head: 'Submitted', class: 'num', cell: (t) => count(t.submitted) },
      { head: 'Succeeded', class: 'num', cell: (t) => count(t.succeeded) },
      { head: 'Failed', class: 'num', cell: (t) => count(t.failed) },
      { head: 'Cancelled', class: 'num', cell: (t) => count(t.cancelled) },
      { head: 'Runs', class: 'num', cell: (t) => count(t.run_time?.count) },
      ...latencyColumns('run_time', 'Run'),
      ...latencyColumns('queue_wait', 'Wait'),
    ],
  });
  ctx.view.append(
    pageHeader('Tasks'),
    el(
      'p',
      { class: 'hint' },
      'Live, since the broker started. Run: as the worker measured it. Wait: from ready to dispatch. ' +
        'Percentiles are estimated from log-scaled buckets (within a third of the value). At most 100 tasks are told apart; the rest add up under "other".',
    ),
    table.element,
  );
  ctx.onSnapshot((snapshot) => table.update(taskRows(snapshot)));
}
