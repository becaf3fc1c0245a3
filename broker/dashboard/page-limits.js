// #/limits : rate limits and concurrency caps (GET /api/limits, as
// `jobq limits --json`); a limited one says until when.

import { get, listOf } from './api.js';
import { badge, el, gridTable, pageHeader } from './dom.js';
import { clock, count, num } from './format.js';

export function title() {
  return 'Limits';
}

// "limited until 12:00:01.250 UTC", "limited (concurrency)" or "open".
export function limitState(limit) {
  if (!limit.limited) {
    return { state: 'active', text: 'open' };
  }
  const next = num(limit.next_token_ms);
  return { state: 'limited', text: next > 0 ? `limited until ${clock(next)} UTC` : 'limited (concurrency)' };
}

function table(limits) {
  const columns = [
    { head: 'Queue' },
    { head: 'Task' },
    { head: 'Rate', class: 'num' },
    { head: 'Burst', class: 'num' },
    { head: 'Concurrency', class: 'num' },
    { head: 'Running', class: 'num' },
    { head: 'Tokens', class: 'num' },
    { head: 'State' },
  ];
  const rows = limits.map((l) => {
    const { state, text } = limitState(l);
    return el(
      'tr',
      { dataset: { limitQueue: l.queue, limitTask: l.task ?? '' } },
      el('td', { class: 'name' }, el('a', { href: `#/jobs?queue=${encodeURIComponent(l.queue)}` }, l.queue)),
      el('td', {}, l.task || 'all tasks'),
      el('td', { class: 'num' }, l.rate || '-'),
      el('td', { class: 'num' }, l.rate ? count(l.burst) : '-'),
      el('td', { class: 'num' }, num(l.concurrency) ? count(l.concurrency) : '-'),
      el('td', { class: 'num' }, count(l.running)),
      el('td', { class: 'num' }, l.rate ? count(l.tokens) : '-'),
      el('td', { class: 'col-state' }, badge(text, state)),
    );
  });
  return gridTable(columns, rows, 'No limits. `jobq limit QUEUE --rate 10/s` sets one.');
}

export function mount(ctx) {
  const results = el('div', {}, el('p', { class: 'hint' }, 'Loading…'));
  const refresh = el('button', { type: 'button' }, 'Refresh');
  ctx.view.append(
    pageHeader('Limits', refresh),
    el('p', { class: 'hint' }, 'Global across workers. A job starts when its bucket has a token and its cap is not full.'),
    results,
  );
  const load = () =>
    ctx.run(async () => {
      const answer = await get('/api/limits', {}, ctx.signal);
      results.replaceChildren(table(listOf(answer, 'limits')));
    });
  refresh.addEventListener('click', load);
  // Followed while the queues' limited states move (at most once a second).
  ctx.reloadWhen((s) => (s.queues ?? []).map((q) => [q.name, q.limited, q.next_token_ms, q.running]), load, 1000);
  load();
}
