// What a page gets while it is shown: its route's parameters, the live
// snapshots, and helpers whose effects end when the page is left (its
// subscriptions stop, its requests are aborted, late answers are dropped).

import { ApiError } from './api.js';
import { el, notice } from './dom.js';
import { live } from './live.js';

export class PageContext {
  constructor(view, args, params) {
    this.view = view;
    this.args = args; // the route's captures (a job's id)
    this.params = params; // URLSearchParams of the hash's query
    this.live = live;
    this.controller = new AbortController();
    this.disposers = [];
    this.notices = el('div', { class: 'notices' });
    view.append(this.notices);
  }

  get signal() {
    return this.controller.signal;
  }

  get left() {
    return this.controller.signal.aborted;
  }

  // listener(snapshot) now and on every snapshot while the page is shown.
  onSnapshot(listener) {
    this.disposers.push(this.live.subscribe((snapshot) => listener(snapshot)));
  }

  // Calls load() again when signatureOf(snapshot) changes, at most once
  // every minIntervalMs: lists the snapshot does not hold (schedules,
  // limits, workflows) follow it without asking the broker on every one.
  reloadWhen(signatureOf, load, minIntervalMs = 2000) {
    let seen = null;
    let last = 0;
    let timer = 0;
    this.onSnapshot((snapshot) => {
      const signature = JSON.stringify(signatureOf(snapshot));
      if (seen === null) {
        seen = signature; // the page loads once by itself
        return;
      }
      if (signature === seen || timer) {
        return;
      }
      seen = signature;
      const wait = Math.max(0, last + minIntervalMs - Date.now());
      timer = setTimeout(() => {
        timer = 0;
        last = Date.now();
        load();
      }, wait);
    });
    this.onLeave(() => clearTimeout(timer));
  }

  onLeave(dispose) {
    this.disposers.push(dispose);
  }

  leave() {
    this.controller.abort();
    this.disposers.forEach((dispose) => dispose());
    this.disposers = [];
  }

  notify(kind, text) {
    if (!this.left) {
      notice(this.notices, kind, text);
    }
  }

  // Runs an async step; its error becomes a notice on the page (a 401
  // brings the login form back by itself; a request aborted because the
  // page was left is no error).
  async run(step) {
    try {
      return await step();
    } catch (error) {
      if (this.left || error?.name === 'AbortError') {
        return undefined;
      }
      if (!(error instanceof ApiError && error.status === 401)) {
        this.notify('error', error instanceof ApiError ? error.message : `Unexpected error: ${error}`);
      }
      return undefined;
    }
  }
}
