// The broker's status snapshots, streamed (GET /api/events, Server-Sent
// Events), and the last five minutes of them kept here for the charts.
// One stream per page, whatever page is shown; nothing here asks the
// broker's loop anything.

import { get } from './api.js';
import { num } from './format.js';

export const HISTORY_MS = 5 * 60 * 1000;

// Over how long the failure rate is taken: the counters move in steps, and
// a rate from two snapshots 200 ms apart would be all spikes.
const FAILED_WINDOW_MS = 1000;

export class LiveStatus {
  constructor() {
    this.snapshot = null;
    this.history = []; // {t, submitted, finished, failed, queued, scheduled, running, failedTotal}
    this.listeners = new Set();
    this.stateListeners = new Set();
    this.source = null;
    this.state = 'off'; // off | connecting | live | lost
  }

  // Calls listener(snapshot) now (when there is one) and on every snapshot;
  // returns the function that stops it.
  subscribe(listener) {
    this.listeners.add(listener);
    if (this.snapshot) {
      listener(this.snapshot);
    }
    return () => this.listeners.delete(listener);
  }

  onState(listener) {
    this.stateListeners.add(listener);
    listener(this.state);
  }

  start() {
    if (this.source) {
      return;
    }
    this.setState('connecting');
    // A first figure at once, before the stream's first event.
    get('/api/status')
      .then((snapshot) => this.accept(snapshot))
      .catch(() => {});
    this.source = new EventSource('/api/events');
    this.source.addEventListener('status', (event) => {
      let snapshot;
      try {
        snapshot = JSON.parse(event.data);
      } catch {
        return;
      }
      this.setState('live');
      this.accept(snapshot);
    });
    this.source.addEventListener('open', () => this.setState('live'));
    // The browser reconnects by itself (the stream says retry: 2000) unless
    // the broker refused the stream, which closes it for good.
    this.source.addEventListener('error', () => {
      this.setState(this.source && this.source.readyState === EventSource.CLOSED ? 'off' : 'lost');
    });
  }

  stop() {
    if (this.source) {
      this.source.close();
      this.source = null;
    }
    this.setState('off');
  }

  // Unix ms on the broker's clock (its times are compared with this, not
  // with the browser's clock, which may be set differently).
  now() {
    if (!this.snapshot || !this.snapshot.now_ms) {
      return Date.now();
    }
    return num(this.snapshot.now_ms) + (Date.now() - this.receivedAt);
  }

  setState(state) {
    if (this.state !== state) {
      this.state = state;
      this.stateListeners.forEach((listener) => listener(state));
    }
  }

  accept(snapshot) {
    const t = num(snapshot.now_ms) || Date.now();
    const last = this.history[this.history.length - 1];
    if (last && t <= last.t) {
      return; // the same snapshot again (the first GET and the stream's first event)
    }
    this.snapshot = snapshot;
    this.receivedAt = Date.now();
    this.history.push(pointOf(snapshot, t, this.history));
    while (this.history.length > 0 && this.history[0].t < t - HISTORY_MS) {
      this.history.shift();
    }
    this.listeners.forEach((listener) => listener(snapshot));
  }
}

function pointOf(snapshot, t, history) {
  const throughput = snapshot.figures?.throughput ?? {};
  const failedTotal = num(snapshot.counters?.failed);
  let failed = 0;
  // The oldest point within the window, for the failure rate.
  let base = null;
  for (let i = history.length - 1; i >= 0 && history[i].t >= t - FAILED_WINDOW_MS; i -= 1) {
    base = history[i];
  }
  base = base ?? history[history.length - 1];
  if (base && t > base.t) {
    failed = Math.max(0, failedTotal - base.failedTotal) / ((t - base.t) / 1000);
  }
  const depth = depthOf(snapshot);
  return {
    t,
    submitted: num(throughput.submitted?.last_1s),
    finished: num(throughput.finished?.last_1s),
    failed,
    failedTotal,
    ...depth,
  };
}

// Jobs by state over every queue (queued, scheduled, running).
export function depthOf(snapshot) {
  const depth = { queued: 0, scheduled: 0, running: 0 };
  for (const queue of snapshot.figures?.queues ?? []) {
    depth.queued += num(queue.queued);
    depth.scheduled += num(queue.scheduled);
    depth.running += num(queue.running);
  }
  return depth;
}

export const live = new LiveStatus();
