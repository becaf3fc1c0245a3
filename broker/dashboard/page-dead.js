// #/dead?queue=&after= : the dead letters (jobs that used up their
// attempts); retry one, or every one on the page.

import { actionButton, confirmDialog, el, pageHeader, setActionEnabled } from './dom.js';
import { fetchJobs, jobsTable, pager, retryJobs, retryText } from './job-table.js';

export function title() {
  return 'Dead letters';
}

const PAGE_SIZE = 50;

export function mount(ctx) {
  const queue = ctx.params.get('queue') ?? '';
  const after = ctx.params.get('after') ?? '';
  const results = el('div', { class: 'results' }, el('p', { class: 'hint' }, 'Loading…'));
  const refresh = el('button', { type: 'button' }, 'Refresh');
  let pageIds = [];
  const retryAll = actionButton('Retry all on this page', async () => {
    const ids = pageIds;
    const sure = await confirmDialog(
      `Retry ${ids.length} dead job${ids.length === 1 ? '' : 's'}?`,
      'Each runs again from its first attempt, on its queue.',
      'Retry all',
    );
    if (sure) {
      retry(ids);
    }
  });
  ctx.view.append(
    pageHeader('Dead letters', refresh, retryAll),
    el('p', { class: 'hint' }, 'Jobs that failed every attempt. A retried job runs again from its first attempt.'),
    results,
  );

  const retry = (ids) =>
    ctx.run(async () => {
      const outcome = await retryJobs(ids, ctx.signal);
      ctx.notify(outcome.problems.length ? 'error' : 'ok', retryText(outcome, ids.length));
      await load();
    });

  const retryOne = (job) => actionButton('Retry', () => retry([job.id]));

  const load = () =>
    ctx.run(async () => {
      const { jobs, nextAfter } = await fetchJobs({ state: 'dead', queue, limit: PAGE_SIZE, after }, ctx.signal);
      pageIds = jobs.map((job) => job.id);
      setActionEnabled(retryAll, pageIds.length > 0, 'No dead jobs on this page');
      const go = (to) => {
        const query = new URLSearchParams({ ...(queue && { queue }), ...(to && { after: to }) }).toString();
        location.hash = query ? `#/dead?${query}` : '#/dead';
      };
      results.replaceChildren(
        jobsTable(jobs, { extraColumn: { head: 'Actions', cell: retryOne }, empty: 'No dead letters.' }),
        pager(`dead:${queue}`, after, nextAfter, go),
      );
    });
  refresh.addEventListener('click', load);
  load();
}
