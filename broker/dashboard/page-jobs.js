// #/jobs?state=&queue=&task=&limit=&after= : jobs filtered by state,
// queue and task, a page at a time (the broker's indexed ListJobs).

import { el, pageHeader } from './dom.js';
import { PAGE_SIZES, STATES, fetchJobs, jobsTable, pager } from './job-table.js';
import { live } from './live.js';

export function title() {
  return 'Jobs';
}

function filtersOf(params) {
  return {
    state: params.get('state') ?? '',
    queue: params.get('queue') ?? '',
    task: params.get('task') ?? '',
    limit: params.get('limit') ?? '50',
  };
}

export function hrefOf(filters, after = '') {
  const query = new URLSearchParams();
  for (const [key, value] of Object.entries({ ...filters, after })) {
    if (value && !(key === 'limit' && value === '50')) {
      query.set(key, value);
    }
  }
  const text = query.toString();
  return text ? `#/jobs?${text}` : '#/jobs';
}

function filterForm(filters) {
  const snapshot = live.snapshot ?? {};
  const queues = (snapshot.queues ?? []).map((q) => q.name);
  const tasks = (snapshot.figures?.tasks ?? []).map((t) => t.task);
  const state = el(
    'select',
    { id: 'filter-state', name: 'state' },
    el('option', { value: '' }, 'any'),
    STATES.map((s) => el('option', { value: s, selected: s === filters.state }, s)),
  );
  const queue = el('input', { id: 'filter-queue', name: 'queue', list: 'known-queues', value: filters.queue, autocomplete: 'off' });
  const task = el('input', { id: 'filter-task', name: 'task', list: 'known-tasks', value: filters.task, autocomplete: 'off' });
  const limit = el(
    'select',
    { id: 'filter-limit', name: 'limit' },
    PAGE_SIZES.map((n) => el('option', { value: String(n), selected: String(n) === filters.limit }, String(n))),
  );
  const form = el(
    'form',
    { class: 'filters', role: 'search' },
    el('label', { for: 'filter-state' }, 'State'),
    state,
    el('label', { for: 'filter-queue' }, 'Queue'),
    queue,
    el('datalist', { id: 'known-queues' }, queues.map((q) => el('option', { value: q }))),
    el('label', { for: 'filter-task' }, 'Task'),
    task,
    el('datalist', { id: 'known-tasks' }, tasks.map((t) => el('option', { value: t }))),
    el('label', { for: 'filter-limit' }, 'Per page'),
    limit,
    el('button', { type: 'submit', class: 'primary' }, 'Filter'),
    el('a', { href: '#/jobs', class: 'button-link' }, 'Clear'),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    location.hash = hrefOf({ state: state.value, queue: queue.value.trim(), task: task.value.trim(), limit: limit.value });
  });
  return form;
}

export function mount(ctx) {
  const filters = filtersOf(ctx.params);
  const after = ctx.params.get('after') ?? '';
  const results = el('div', { class: 'results', 'aria-live': 'polite' }, el('p', { class: 'hint' }, 'Loading…'));
  const refresh = el('button', { type: 'button' }, 'Refresh');
  ctx.view.append(pageHeader('Jobs', refresh), filterForm(filters), results);

  const load = () =>
    ctx.run(async () => {
      const { jobs, nextAfter } = await fetchJobs({ ...filters, after }, ctx.signal);
      const go = (to) => (location.hash = hrefOf(filters, to));
      results.replaceChildren(
        jobsTable(jobs, { empty: 'No jobs match these filters.' }),
        pager(JSON.stringify(filters), after, nextAfter, go),
      );
    });
  refresh.addEventListener('click', load);
  load();
}
