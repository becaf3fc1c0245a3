// #/jobs/ID : one job: its fields, args, result or error, attempts, a
// timeline and its progress; retry and cancel. While it has not finished
// it is fetched again (at most once a second, and only when a snapshot
// came: the broker is up).

import { get, listOf, post } from './api.js';
import { actionButton, badge, definitionList, el, section, setActionEnabled } from './dom.js';
import { ago, count, duration, errorSummary, json, num, utc } from './format.js';
import { jobLink, retryJobs, retryText } from './job-table.js';

export function title([id]) {
  return `Job ${id}`;
}

const FINISHED = new Set(['succeeded', 'failed', 'dead', 'cancelled']);
const RETRYABLE = new Set(['failed', 'dead', 'cancelled']);
const REFRESH_MS = 1000;

export function mount(ctx) {
  const [id] = ctx.args;
  const body = el('div', { class: 'job' }, el('p', { class: 'hint' }, 'Loading…'));
  const stateBadge = el('span');
  let job = null;
  const retry = actionButton('Retry', () =>
    ctx.run(async () => {
      const outcome = await retryJobs([id], ctx.signal);
      ctx.notify(outcome.problems.length ? 'error' : 'ok', retryText(outcome, 1));
      await load();
    }),
    { disabled: true, title: 'Loading the job' },
  );
  const cancel = actionButton(
    'Cancel',
    () =>
      ctx.run(async () => {
        const answer = await post('/api/jobs/cancel', { ids: [id] }, ctx.signal);
        const [result] = listOf(answer, 'results');
        ctx.notify(result && result.outcome.startsWith('cancel') ? 'ok' : 'error', result ? result.message : 'No answer for the job.');
        await load();
      }),
    { danger: true, disabled: true, title: 'Loading the job' },
  );
  ctx.view.append(
    el('div', { class: 'page-head' }, el('h1', {}, 'Job ', el('span', { class: 'mono' }, id), ' ', stateBadge), el('div', { class: 'tools' }, retry, cancel)),
    body,
  );

  let shown = '';
  let loadedAt = 0;
  const load = () =>
    ctx.run(async () => {
      loadedAt = Date.now();
      const answer = await get(`/api/jobs/${encodeURIComponent(id)}`, {}, ctx.signal);
      job = answer;
      const text = JSON.stringify(answer);
      if (text === shown) {
        return;
      }
      shown = text;
      stateBadge.replaceChildren(badge(job.state));
      setActionEnabled(retry, RETRYABLE.has(job.state), `A ${job.state} job cannot be retried; failed, dead and cancelled ones can`);
      setActionEnabled(cancel, !FINISHED.has(job.state), `The job has finished (${job.state})`);
      body.replaceChildren(...render(job, ctx.live.now()));
    });
  ctx.onSnapshot(() => {
    if (job && !FINISHED.has(job.state) && Date.now() - loadedAt >= REFRESH_MS) {
      load();
    }
  });
  load();
}

function render(job, now) {
  const parts = [];
  parts.push(
    el(
      'div',
      { class: 'columns' },
      section('Job', definitionList(fields(job))),
      section('Timeline', timeline(job, now)),
    ),
  );
  if (job.progress) {
    parts.push(section('Progress', progress(job.progress, now)));
  }
  parts.push(
    section(
      'Arguments',
      job.args === undefined ? el('p', { class: 'hint' }, 'The broker does not show this job\'s arguments.') : el('pre', { dataset: { field: 'args' } }, json(job.args)),
    ),
  );
  if (job.error) {
    parts.push(section('Error', errorBlock(job.error)));
  } else if (job.state === 'succeeded') {
    parts.push(
      section(
        'Result',
        job.result === undefined
          ? el('p', { class: 'hint' }, `${count(job.result_bytes)} bytes of ${job.content_type || 'binary'} data, not shown.`)
          : el('pre', { dataset: { field: 'result' } }, json(job.result)),
      ),
    );
  }
  return parts;
}

function fields(job) {
  // A retried job's attempts keep counting; its failures start again.
  const failures = job.max_attempts ? `${job.failures} of ${job.max_attempts} allowed` : String(job.failures);
  return [
    ['Queue', el('a', { href: `#/jobs?queue=${encodeURIComponent(job.queue)}` }, job.queue), 'queue'],
    ['Task', el('a', { href: `#/jobs?task=${encodeURIComponent(job.task)}` }, job.task), 'task'],
    ['State', badge(job.state), 'state'],
    ['Attempts', String(job.attempts), 'attempts'],
    ['Failures', failures, 'failures'],
    ['Priority', String(job.priority ?? 0)],
    job.key ? ['Idempotency key', job.key, 'key'] : null,
    job.worker ? ['Worker', job.worker, 'worker'] : null,
    job.workflow ? ['Workflow', el('a', { href: `#/workflows/${encodeURIComponent(job.workflow)}`, class: 'mono' }, job.workflow), 'workflow'] : null,
    job.node ? ['Node', job.node, 'node'] : null,
    job.parents ? ['Parents', links(job.parents), 'parents'] : null,
    job.on_parent_failure ? ['On parent failure', job.on_parent_failure] : null,
    job.children ? ['Children', links(job.children), 'children'] : null,
    job.result_bytes ? ['Result size', `${count(job.result_bytes)} bytes (${job.content_type || 'unknown type'})`] : null,
  ];
}

function links(ids) {
  return el('ul', { class: 'inline' }, ids.map((id) => el('li', {}, jobLink(id))));
}

// The moments the broker knows of the job, in order, each with how long
// after the submit it came.
function timeline(job, now) {
  const submitted = num(job.submitted_ms);
  const events = [
    ['submitted', job.submitted_ms],
    ['due', job.due_ms],
    [job.attempts > 1 ? `started (attempt ${job.attempts})` : 'started', job.started_ms],
    job.progress ? ['progress reported', job.progress.reported_ms] : null,
    [`finished (${job.state})`, FINISHED.has(job.state) ? job.finished_ms : 0],
    ['forgotten', job.expires_ms],
  ]
    .filter((e) => e && num(e[1]) > 0)
    .sort((a, b) => num(a[1]) - num(b[1]));
  if (events.length === 0) {
    return el('p', { class: 'hint' }, 'No times known yet.');
  }
  return el(
    'ol',
    { class: 'timeline' },
    events.map(([what, ms]) =>
      el(
        'li',
        { dataset: { event: what.split(' ')[0] } },
        el('span', { class: 'what' }, what),
        el('time', { datetime: new Date(num(ms)).toISOString() }, utc(ms)),
        el('span', { class: 'muted' }, submitted && what !== 'submitted' ? ` +${duration(num(ms) - submitted)}` : ` ${ago(ms, now)}`),
      ),
    ),
  );
}

function progress(report, now) {
  const done = num(report.done);
  const total = num(report.total);
  const text = total > 0 ? `${count(done)}/${count(total)} (${Math.floor((100 * done) / total)}%)` : `${count(done)} done`;
  return el(
    'div',
    { class: 'progress' },
    total > 0 ? el('progress', { max: total, value: done, 'aria-label': 'Progress' }) : null,
    el('span', {}, text, report.message ? ` ${report.message}` : ''),
    el('span', { class: 'muted' }, ` attempt ${report.attempt}, reported ${ago(report.reported_ms, now)}`),
  );
}

function errorBlock(error) {
  return el(
    'div',
    { class: 'error-block' },
    el('p', { class: 'error-summary', dataset: { field: 'error' } }, errorSummary(error)),
    definitionList([
      ['Type', error.type, 'error-type'],
      error.exception ? ['Exception', error.exception] : null,
      ['Message', el('span', { class: 'error-message' }, error.message ?? ''), 'error-message'],
    ]),
    error.detail ? el('pre', { dataset: { field: 'error-detail' } }, detailText(error.detail)) : null,
  );
}

// A detail that is JSON (exec's output, a traceback object) is indented.
function detailText(detail) {
  try {
    return json(JSON.parse(detail));
  } catch {
    return detail;
  }
}
