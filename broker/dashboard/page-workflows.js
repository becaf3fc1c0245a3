// #/workflows?state=&after= : the workflows the broker keeps (as `jobq
// workflow list --json`), a page at a time.

import { get, listOf } from './api.js';
import { badge, el, gridTable, pageHeader } from './dom.js';
import { ago, count, num } from './format.js';
import { pager } from './job-table.js';

export function title() {
  return 'Workflows';
}

const STATES = ['running', 'succeeded', 'failed', 'cancelled'];
const PAGE_SIZE = 50;
const FINISHED_NODES = ['succeeded', 'failed', 'dead', 'cancelled'];

function finishedNodes(workflow) {
  const counts = workflow.counts ?? {};
  return FINISHED_NODES.reduce((sum, state) => sum + num(counts[state]), 0);
}

function table(workflows, now) {
  const columns = [
    { head: 'Workflow' },
    { head: 'Name' },
    { head: 'State' },
    { head: 'Nodes finished', class: 'num' },
    { head: 'Created', class: 'num' },
    { head: 'Ended', class: 'num' },
  ];
  const rows = workflows.map((w) =>
    el(
      'tr',
      { dataset: { workflow: w.id } },
      el('td', {}, el('a', { href: `#/workflows/${encodeURIComponent(w.id)}`, class: 'mono' }, w.id)),
      el('td', { class: 'name' }, w.name || '-'),
      el('td', { class: 'col-state' }, badge(w.state)),
      el('td', { class: 'num' }, `${count(finishedNodes(w))}/${count(w.node_count)}`),
      el('td', { class: 'num' }, ago(w.created_ms, now)),
      el('td', { class: 'num' }, num(w.finished_ms) ? ago(w.finished_ms, now) : '-'),
    ),
  );
  return gridTable(columns, rows, 'No workflows.');
}

export function mount(ctx) {
  const state = ctx.params.get('state') ?? '';
  const after = ctx.params.get('after') ?? '';
  const select = el(
    'select',
    { id: 'workflow-state' },
    el('option', { value: '' }, 'any'),
    STATES.map((s) => el('option', { value: s, selected: s === state }, s)),
  );
  const hrefOf = (s, to) => {
    const query = new URLSearchParams({ ...(s && { state: s }), ...(to && { after: to }) }).toString();
    return query ? `#/workflows?${query}` : '#/workflows';
  };
  select.addEventListener('change', () => (location.hash = hrefOf(select.value, '')));
  const refresh = el('button', { type: 'button' }, 'Refresh');
  const results = el('div', {}, el('p', { class: 'hint' }, 'Loading…'));
  ctx.view.append(
    pageHeader('Workflows', el('label', { for: 'workflow-state' }, 'State '), select, refresh),
    results,
  );
  const load = () =>
    ctx.run(async () => {
      const answer = await get('/api/workflows', { state, after, limit: PAGE_SIZE }, ctx.signal);
      results.replaceChildren(
        table(listOf(answer, 'workflows'), ctx.live.now()),
        pager(`workflows:${state}`, after, answer.next_after || '', (to) => (location.hash = hrefOf(state, to))),
      );
    });
  refresh.addEventListener('click', load);
  ctx.reloadWhen((s) => s.workflows ?? {}, load);
  load();
}
