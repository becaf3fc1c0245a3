// #/workflows/ID : one workflow: its summary, its DAG drawn (up to
// DAG_NODES_MAX nodes) and its nodes, each a link to its job.

import { get } from './api.js';
import { badge, definitionList, el, gridTable, section } from './dom.js';
import { DAG_NODES_MAX, drawDag } from './dag.js';
import { ago, count, duration, errorSummary, num, utc } from './format.js';
import { jobLink } from './job-table.js';

export function title([id]) {
  return `Workflow ${id}`;
}

function summary(w, now) {
  const counts = Object.entries(w.counts ?? {}).map(([state, n]) => [badge(state), ` ${count(n)} `]);
  return definitionList([
    ['Name', w.name || '-', 'name'],
    ['State', badge(w.state), 'state'],
    ['Nodes', [`${count(w.node_count)}: `, ...counts]],
    ['Created', `${utc(w.created_ms)} (${ago(w.created_ms, now)})`],
    num(w.finished_ms) ? ['Ended', `${utc(w.finished_ms)} (${ago(w.finished_ms, now)})`] : null,
    num(w.expires_ms) ? ['Forgotten', utc(w.expires_ms)] : null,
  ]);
}

function nodeTable(nodes, now) {
  const columns = [
    { head: 'Node' },
    { head: 'State' },
    { head: 'Task' },
    { head: 'Queue' },
    { head: 'Attempts', class: 'num' },
    { head: 'Started', class: 'num' },
    { head: 'Duration', class: 'num' },
    { head: 'Parents' },
    { head: 'Job' },
    { head: 'Error' },
  ];
  const rows = nodes.map((n) => {
    const started = num(n.started_ms);
    const finished = num(n.finished_ms);
    const error = errorSummary(n.error);
    const parents = [...(n.after ?? []), ...(n.after_jobs ?? []).map((id) => `job ${id}`)];
    return el(
      'tr',
      { dataset: { node: n.name } },
      el('td', { class: 'name' }, n.name),
      el('td', { class: 'col-state' }, badge(n.state)),
      el('td', {}, n.task),
      el('td', {}, n.queue),
      el('td', { class: 'num' }, String(n.attempts ?? 0)),
      el('td', { class: 'num' }, started ? ago(started, now) : '-'),
      el('td', { class: 'num' }, started ? duration((finished || now) - started) : '-'),
      el('td', {}, parents.join(', ') || '-'),
      el('td', {}, jobLink(n.job_id, n.job_id.slice(-12))),
      el('td', { class: 'col-error', title: error }, error || '-'),
    );
  });
  return gridTable(columns, rows, 'No nodes.');
}

function graph(w) {
  const nodes = w.nodes ?? [];
  if (num(w.node_count) > DAG_NODES_MAX) {
    return el('p', { class: 'hint' }, `Not drawn: ${count(w.node_count)} nodes are more than the ${DAG_NODES_MAX} a drawing can show legibly. The nodes are listed below.`);
  }
  if (nodes.length < num(w.node_count)) {
    return el('p', { class: 'hint' }, `Not drawn: the broker sent ${count(nodes.length)} of its ${count(w.node_count)} nodes.`);
  }
  const legend = el(
    'ul',
    { class: 'legend' },
    ['blocked', 'queued', 'scheduled', 'running', 'succeeded', 'failed', 'dead', 'cancelled'].map((s) => el('li', {}, badge(s))),
  );
  return el('div', {}, el('div', { class: 'dag-scroll' }, drawDag(nodes, (n) => `#/jobs/${encodeURIComponent(n.job_id)}`)), legend);
}

export function mount(ctx) {
  const [id] = ctx.args;
  const body = el('div', {}, el('p', { class: 'hint' }, 'Loading…'));
  const stateBadge = el('span');
  ctx.view.append(el('div', { class: 'page-head' }, el('h1', {}, 'Workflow ', el('span', { class: 'mono' }, id), ' ', stateBadge)), body);
  let shown = '';
  let running = true;
  const load = () =>
    ctx.run(async () => {
      const w = await get(`/api/workflows/${encodeURIComponent(id)}`, {}, ctx.signal);
      running = w.state === 'running';
      const text = JSON.stringify(w);
      if (text === shown) {
        return;
      }
      shown = text;
      const now = ctx.live.now();
      stateBadge.replaceChildren(badge(w.state));
      body.replaceChildren(
        el('div', { class: 'columns' }, section('Workflow', summary(w, now))),
        section('Graph', graph(w)),
        section('Nodes', nodeTable(w.nodes ?? [], now)),
      );
    });
  // While it runs, followed as jobs finish anywhere (at most once a second).
  ctx.reloadWhen((s) => (running ? [s.counters?.succeeded, s.counters?.failed, s.workflows] : 'done'), load, 1000);
  load();
}
