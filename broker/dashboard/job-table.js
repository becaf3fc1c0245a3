// A page of jobs (GET /api/jobs) as a table, with next/previous pages by
// the `after` id: the jobs page and the dead letters page show it.

import { get, listOf, post } from './api.js';
import { badge, el, gridTable } from './dom.js';
import { ago, errorSummary } from './format.js';
import { live } from './live.js';

export const STATES = ['scheduled', 'queued', 'running', 'blocked', 'succeeded', 'failed', 'dead', 'cancelled'];
export const PAGE_SIZES = [25, 50, 100, 200, 500];

export function jobLink(id, text = id) {
  return el('a', { href: `#/jobs/${encodeURIComponent(id)}`, class: 'mono' }, text);
}

// When a job last moved: finished, started or submitted.
function when(job) {
  return job.finished_ms || job.started_ms || job.submitted_ms || 0;
}

// The table of one page. extraColumn: {head, cell(job) -> Node} (a retry button).
export function jobsTable(jobs, { extraColumn = null, empty = 'No jobs match.' } = {}) {
  const now = live.now();
  const columns = [
    { head: 'ID' },
    { head: 'Queue' },
    { head: 'Task' },
    { head: 'State' },
    { head: 'Attempts', class: 'num' },
    { head: 'When', class: 'num' },
    { head: 'Error' },
  ];
  if (extraColumn) {
    columns.push({ head: extraColumn.head, class: 'actions' });
  }
  const rows = jobs.map((job) => {
    const error = errorSummary(job.error);
    return el(
      'tr',
      { dataset: { job: job.id } },
      el('td', {}, jobLink(job.id)),
      el('td', {}, el('a', { href: `#/jobs?queue=${encodeURIComponent(job.queue)}` }, job.queue)),
      el('td', { class: 'col-task' }, job.task),
      el('td', { class: 'col-state' }, badge(job.state)),
      el('td', { class: 'num' }, job.max_attempts ? `${job.attempts}/${job.max_attempts}` : String(job.attempts)),
      el('td', { class: 'num', title: when(job) ? new Date(Number(when(job))).toISOString() : null }, ago(when(job), now)),
      el('td', { class: 'col-error', title: error }, error || '-'),
      extraColumn ? el('td', { class: 'actions' }, extraColumn.cell(job)) : null,
    );
  });
  return gridTable(columns, rows, empty, { class: 'grid jobs' });
}

export async function fetchJobs(filters, signal) {
  const answer = await get('/api/jobs', filters, signal);
  return { jobs: listOf(answer, 'jobs'), nextAfter: answer.next_after || '' };
}

// POST /api/jobs/retry; the per-id outcomes summed up for a notice.
export async function retryJobs(ids, signal) {
  const answer = await post('/api/jobs/retry', { ids }, signal);
  const results = listOf(answer, 'results');
  const retried = results.filter((r) => r.outcome === 'retried').length;
  const problems = results.filter((r) => r.outcome !== 'retried').map((r) => `${r.id}: ${r.message}`);
  return { retried, problems };
}

export function retryText({ retried, problems }, asked) {
  const head = `Retried ${retried} of ${asked} job${asked === 1 ? '' : 's'}.`;
  return problems.length ? `${head} ${problems.join('; ')}` : head;
}

// Pagination by `after`: the ids that began the pages before this one,
// kept per filter while the tab lives, so "Previous" can go back.
const trails = new Map();

export function pager(filterKey, after, nextAfter, go) {
  const trail = trails.get(filterKey) ?? [];
  trails.set(filterKey, trail);
  // Arriving at a page not reached by "Next" (a link, a reload): only "First".
  if (after && trail[trail.length - 1]?.to !== after) {
    trail.length = 0;
  }
  const previous = trail.length ? trail[trail.length - 1].from : null;
  const first = el('button', { type: 'button', disabled: !after }, 'First');
  first.addEventListener('click', () => {
    trail.length = 0;
    go('');
  });
  const back = el('button', { type: 'button', disabled: previous === null }, 'Previous');
  back.addEventListener('click', () => {
    trail.pop();
    go(previous);
  });
  const next = el('button', { type: 'button', disabled: !nextAfter }, 'Next');
  next.addEventListener('click', () => {
    trail.push({ from: after, to: nextAfter });
    go(nextAfter);
  });
  return el('nav', { class: 'pager', 'aria-label': 'Pages' }, first, back, next);
}
