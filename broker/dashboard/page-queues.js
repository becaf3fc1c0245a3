// #/queues : every queue, live: depth by state, workers, rates, paused or
// limited; pause, resume, and purge (after a confirmation).

import { post, segment } from './api.js';
import { KeyedTable, actionButton, badge, cached, confirmDialog, el, pageHeader, setActionEnabled, setText } from './dom.js';
import { clock, count, num, rate } from './format.js';

export function title() {
  return 'Queues';
}

// "paused", "limited" (until its next token, or by a cap), or "active":
// as `jobq queues` says it.
export function queueState(queue) {
  if (queue.paused) {
    return { state: 'paused', text: 'paused' };
  }
  if (queue.limited) {
    const next = num(queue.next_token_ms);
    return { state: 'limited', text: next > 0 ? `limited until ${clock(next)} UTC` : 'limited (concurrency)' };
  }
  return { state: 'active', text: 'active' };
}

export function mount(ctx) {
  const buttons = new Map(); // queue name -> {pause, purge, state}

  const act = (name, verb, done) =>
    ctx.run(async () => {
      const answer = await post(`/api/queues/${segment(name)}/${verb}`, {}, ctx.signal);
      ctx.notify('ok', done(answer));
    });

  const controlsOf = (queue) => {
    let controls = buttons.get(queue.name);
    if (!controls) {
      const pause = actionButton('Pause', () => {
        const verb = controls.paused ? 'resume' : 'pause';
        act(queue.name, verb, () => `Queue ${queue.name} ${verb === 'pause' ? 'paused' : 'resumed'}.`);
      });
      const purge = actionButton(
        'Purge',
        async () => {
          const waiting = controls.waiting;
          const sure = await confirmDialog(
            `Purge queue ${queue.name}?`,
            `This cancels its ${count(waiting)} queued and scheduled jobs. Running jobs keep running. It cannot be undone.`,
            'Purge',
          );
          if (sure) {
            act(queue.name, 'purge', (answer) => `Queue ${queue.name} purged: ${count(answer.cancelled)} jobs cancelled.`);
          }
        },
        { danger: true },
      );
      const jobs = el('a', { href: `#/jobs?queue=${encodeURIComponent(queue.name)}`, class: 'button-link' }, 'Jobs');
      controls = { pause, purge, element: el('div', { class: 'row-actions' }, pause, purge, jobs) };
      buttons.set(queue.name, controls);
    }
    return controls;
  };

  const stateBadges = new Map();
  const links = new Map();
  const table = new KeyedTable({
    keyOf: (q) => q.name,
    rowAttributes: (q) => ({ dataset: { queue: q.name } }),
    empty: 'No queues yet: a queue appears with its first job or worker.',
    columns: [
      {
        head: 'Queue',
        class: 'name',
        cell: (q) => cached(links, q.name, () => el('a', { href: `#/jobs?queue=${encodeURIComponent(q.name)}` }, q.name)),
      },
      {
        head: 'State',
        class: 'col-state',
        cell: (q) => {
          const { state, text } = queueState(q);
          const node = cached(stateBadges, q.name, () => badge(text, state));
          node.className = `badge state-${state}`;
          setText(node, text);
          return node;
        },
      },
      { head: 'Queued', class: 'num col-queued', cell: (q) => count(q.queued) },
      { head: 'Scheduled', class: 'num col-scheduled', cell: (q) => count(q.figures?.scheduled) },
      { head: 'Running', class: 'num col-running', cell: (q) => count(q.running) },
      { head: 'Sentinels', class: 'num', cell: (q) => count(q.sentinels) },
      { head: 'Workers', class: 'num col-workers', cell: (q) => count(q.workers) },
      { head: 'In /s', class: 'num', cell: (q) => rate(q.figures?.throughput?.submitted?.last_10s) },
      { head: 'Out /s', class: 'num', cell: (q) => rate(q.figures?.throughput?.finished?.last_10s) },
      { head: 'Finished', class: 'num', cell: (q) => count(q.finished) },
      {
        head: 'Actions',
        class: 'actions',
        cell: (q) => {
          const controls = controlsOf(q);
          controls.paused = Boolean(q.paused);
          controls.waiting = num(q.queued) + num(q.figures?.scheduled);
          setText(controls.pause, q.paused ? 'Resume' : 'Pause');
          setActionEnabled(controls.pause, true);
          setActionEnabled(controls.purge, controls.waiting > 0, 'Nothing to purge: no queued or scheduled jobs');
          return controls.element;
        },
      },
    ],
  });

  ctx.view.append(
    pageHeader('Queues'),
    el('p', { class: 'hint' }, 'Live. Rates over the last 10 s. A paused queue takes jobs but dispatches none; purge cancels its waiting jobs.'),
    table.element,
  );
  ctx.onSnapshot((snapshot) => {
    const figures = new Map((snapshot.figures?.queues ?? []).map((f) => [f.name, f]));
    table.update((snapshot.queues ?? []).map((q) => ({ ...q, figures: figures.get(q.name) })));
  });
}
