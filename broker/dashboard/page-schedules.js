// #/schedules : every schedule (GET /api/schedules, as `jobq schedule
// list --json`), fetched again when a firing shows in the snapshot.

import { get, listOf } from './api.js';
import { badge, el, gridTable, pageHeader } from './dom.js';
import { count } from './format.js';
import { jobLink } from './job-table.js';

export function title() {
  return 'Schedules';
}

// "every 10s" or "cron */5 * * * * (Europe/Berlin)", as the CLI says it.
function timing(s) {
  if (s.every) {
    return `every ${s.every}`;
  }
  return s.time_zone && s.time_zone !== 'UTC' ? `cron ${s.cron} (${s.time_zone})` : `cron ${s.cron}`;
}

// RFC 3339 UTC as the list gives it, shown like the other pages' times.
function time(text) {
  return text ? text.replace('T', ' ').replace('Z', ' UTC') : '-';
}

function table(schedules) {
  const columns = [
    { head: 'Schedule' },
    { head: 'Timing' },
    { head: 'Task' },
    { head: 'Queue' },
    { head: 'State' },
    { head: 'Next firing' },
    { head: 'Last firing' },
    { head: 'Last job' },
    { head: 'Fired', class: 'num' },
    { head: 'Skipped', class: 'num' },
  ];
  const rows = schedules.map((s) =>
    el(
      'tr',
      { dataset: { schedule: s.name } },
      el('td', { class: 'name' }, s.name),
      el('td', { class: 'mono' }, timing(s)),
      el('td', {}, el('a', { href: `#/jobs?task=${encodeURIComponent(s.task)}` }, s.task)),
      el('td', {}, s.queue),
      el('td', { class: 'col-state', title: s.broken || s.last_skip || '' }, badge(s.state)),
      el('td', {}, time(s.next_fire)),
      el('td', {}, time(s.last_fire)),
      el('td', {}, s.last_job ? [jobLink(s.last_job, s.last_job.slice(-12)), ' ', s.last_job_state ? badge(s.last_job_state) : ''] : '-'),
      el('td', { class: 'num' }, count(s.fired)),
      el('td', { class: 'num', title: s.last_skip || '' }, count(s.skipped)),
    ),
  );
  return gridTable(columns, rows, 'No schedules. `jobq schedule add` makes one.');
}

export function mount(ctx) {
  const results = el('div', {}, el('p', { class: 'hint' }, 'Loading…'));
  const refresh = el('button', { type: 'button' }, 'Refresh');
  ctx.view.append(pageHeader('Schedules', refresh), results);
  const load = () =>
    ctx.run(async () => {
      const answer = await get('/api/schedules', {}, ctx.signal);
      results.replaceChildren(table(listOf(answer, 'schedules')));
    });
  refresh.addEventListener('click', load);
  ctx.reloadWhen(
    (s) => [s.schedules_total, (s.schedules ?? []).map((x) => [x.spec?.name, x.fired, x.skipped, x.paused, x.last_job_state])],
    load,
  );
  load();
}
