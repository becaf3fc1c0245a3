// The dashboard's shell: the session (login form or pages), the hash
// router, the totals strip under the navigation, the live indicator.

import { loadSession, login, logout, onUnauthenticated, session } from './api.js';
import { PageContext } from './context.js';
import { el, setText } from './dom.js';
import { count, duration } from './format.js';
import { depthOf, live } from './live.js';
import * as dead from './page-dead.js';
import * as job from './page-job.js';
import * as jobs from './page-jobs.js';
import * as limits from './page-limits.js';
import * as overview from './page-overview.js';
import * as queues from './page-queues.js';
import * as schedules from './page-schedules.js';
import * as tasks from './page-tasks.js';
import * as workers from './page-workers.js';
import * as workflow from './page-workflow.js';
import * as workflows from './page-workflows.js';

// [pattern of the hash's path, page module, navigation entry]
const ROUTES = [
  [/^\/$/, overview, 'overview'],
  [/^\/queues$/, queues, 'queues'],
  [/^\/workers$/, workers, 'workers'],
  [/^\/jobs$/, jobs, 'jobs'],
  [/^\/jobs\/([^/]+)$/, job, 'jobs'],
  [/^\/dead$/, dead, 'dead'],
  [/^\/tasks$/, tasks, 'tasks'],
  [/^\/schedules$/, schedules, 'schedules'],
  [/^\/limits$/, limits, 'limits'],
  [/^\/workflows$/, workflows, 'workflows'],
  [/^\/workflows\/([^/]+)$/, workflow, 'workflows'],
];

const view = document.getElementById('view');
let current = null;

function route() {
  if (current) {
    current.leave();
    current = null;
  }
  view.replaceChildren();
  const hash = location.hash.replace(/^#/, '') || '/';
  const [path, query = ''] = hash.split('?', 2);
  for (const [pattern, page, nav] of ROUTES) {
    const match = pattern.exec(path);
    if (!match) {
      continue;
    }
    document.querySelectorAll('#nav a').forEach((a) => {
      if (a.dataset.nav === nav) {
        a.setAttribute('aria-current', 'page');
      } else {
        a.removeAttribute('aria-current');
      }
    });
    const args = match.slice(1).map(decodeURIComponent);
    current = new PageContext(view, args, new URLSearchParams(query));
    document.title = `${page.title(args)} · jobq`;
    page.mount(current);
    return;
  }
  view.append(
    el('h1', {}, 'Not found'),
    el('p', {}, 'No page at ', el('code', {}, hash), '. ', el('a', { href: '#/' }, 'Go to the overview'), '.'),
  );
}

// ---- The totals strip: live on every page.
const summary = document.getElementById('summary');
const SUMMARY = [
  ['Submitted', (s) => count(s.counters?.submitted)],
  ['Succeeded', (s) => count(s.counters?.succeeded)],
  ['Failed', (s) => count(s.counters?.failed)],
  ['Queued', (s) => count(depthOf(s).queued)],
  ['Scheduled', (s) => count(depthOf(s).scheduled)],
  ['Running', (s) => count(depthOf(s).running)],
  ['Workers', (s) => count((s.workers ?? []).length)],
  ['Uptime', (s) => duration(s.uptime_ms)],
];
const summaryValues = SUMMARY.map(([label]) => {
  const value = el('span', { class: 'value', dataset: { total: label.toLowerCase() } }, '-');
  summary.append(el('div', { class: 'total' }, value, el('span', { class: 'label' }, label)));
  return value;
});
live.subscribe((snapshot) => {
  SUMMARY.forEach(([, valueOf], i) => setText(summaryValues[i], valueOf(snapshot)));
});

const liveIndicator = document.getElementById('live');
const LIVE_TEXT = { off: 'offline', connecting: 'connecting', live: 'live', lost: 'reconnecting' };
live.onState((state) => {
  setText(liveIndicator, LIVE_TEXT[state]);
  liveIndicator.className = `live live-${state}`;
  // A refused stream: the session may have ended (a restarted broker).
  if (state === 'off' && session.role) {
    loadSession()
      .then(() => (session.role ? undefined : showLogin()))
      .catch(() => {});
  }
});

// ---- Session: the login form, or the pages.
const loginSection = document.getElementById('login');
const loginForm = document.getElementById('login-form');
const loginError = document.getElementById('login-error');
const tokenField = document.getElementById('login-token');
const chrome = ['nav', 'session', 'summary'].map((id) => document.getElementById(id));

function showLogin() {
  live.stop();
  if (current) {
    current.leave();
    current = null;
  }
  view.replaceChildren();
  view.hidden = true;
  chrome.forEach((node) => (node.hidden = true));
  loginSection.hidden = false;
  document.title = 'Log in · jobq';
  tokenField.focus();
}

function showPages() {
  loginSection.hidden = true;
  loginError.hidden = true;
  view.hidden = false;
  chrome.forEach((node) => (node.hidden = false));
  const role = document.getElementById('role');
  setText(role, session.role);
  role.className = `role role-${session.role}`;
  role.title = session.role === 'admin' ? 'Admin session: sees and acts' : 'Read session: sees, cannot act';
  document.getElementById('logout').hidden = !session.tokens;
  live.start();
  route();
}

loginForm.addEventListener('submit', (event) => {
  event.preventDefault();
  loginError.hidden = true;
  login(tokenField.value)
    .then(() => {
      tokenField.value = '';
      if (session.role) {
        showPages();
      }
    })
    .catch((error) => {
      setText(loginError, error.message);
      loginError.hidden = false;
      tokenField.select();
    });
});

document.getElementById('logout').addEventListener('click', () => {
  logout()
    .catch(() => {})
    .finally(showLogin);
});

onUnauthenticated(() => {
  session.role = null;
  showLogin();
});

// The hash is the route: skipping to the content moves the focus instead.
document.getElementById('skip').addEventListener('click', (event) => {
  event.preventDefault();
  view.focus();
});

window.addEventListener('hashchange', () => {
  if (session.role) {
    route();
    view.focus({ preventScroll: true });
  }
});

loadSession()
  .then(() => (session.role ? showPages() : showLogin()))
  .catch((error) => {
    view.replaceChildren(el('p', { class: 'notice error', role: 'alert' }, `Cannot reach the broker: ${error.message}`));
  });
