// Numbers, times and sizes for people. Pure. The broker's JSON carries
// 64-bit integers as strings (protobuf's JSON mapping): num() reads both.

export function num(value) {
  const n = typeof value === 'string' ? Number(value) : value;
  return Number.isFinite(n) ? n : 0;
}

const integer = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });
export function count(value) {
  return integer.format(num(value));
}

// "12.3/s", with fewer decimals as it grows.
export function rate(value) {
  const n = num(value);
  if (n === 0) {
    return '0/s';
  }
  const digits = n >= 100 ? 0 : n >= 10 ? 1 : 2;
  return `${n.toFixed(digits)}/s`;
}

export function percent(value) {
  return `${num(value).toFixed(1)}%`;
}

export function bytes(value) {
  let n = num(value);
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let unit = 0;
  while (n >= 1024 && unit < units.length - 1) {
    n /= 1024;
    unit += 1;
  }
  return unit === 0 ? `${n} B` : `${n.toFixed(n >= 100 ? 0 : 1)} ${units[unit]}`;
}

// A duration in milliseconds: "850 ms", "12.3 s", "4m 05s", "3h 12m", "2d 4h".
export function duration(ms) {
  const n = Math.max(0, num(ms));
  if (n < 1000) {
    return `${Math.round(n)} ms`;
  }
  const s = n / 1000;
  if (s < 60) {
    return `${s.toFixed(s < 10 ? 2 : 1)} s`;
  }
  const pad = (x) => String(Math.floor(x)).padStart(2, '0');
  if (s < 3600) {
    return `${Math.floor(s / 60)}m ${pad(s % 60)}s`;
  }
  if (s < 86400) {
    return `${Math.floor(s / 3600)}h ${pad((s % 3600) / 60)}m`;
  }
  return `${Math.floor(s / 86400)}d ${Math.floor((s % 86400) / 3600)}h`;
}

// A latency in seconds (the figures' unit): "340 µs", "12 ms", "1.40 s".
export function seconds(value) {
  const s = num(value);
  if (s === 0) {
    return '-';
  }
  if (s < 0.001) {
    return `${Math.round(s * 1e6)} µs`;
  }
  if (s < 1) {
    return `${(s * 1000).toFixed(s < 0.01 ? 2 : s < 0.1 ? 1 : 0)} ms`;
  }
  return `${s.toFixed(2)} s`;
}

// "2026-12-07 10:42:01.250 UTC" for unix ms; "-" for 0 (not yet).
export function utc(ms) {
  const n = num(ms);
  if (n <= 0) {
    return '-';
  }
  return new Date(n).toISOString().replace('T', ' ').replace('Z', ' UTC');
}

// "12:00:01.250" (UTC) for unix ms.
export function clock(ms) {
  return new Date(num(ms)).toISOString().slice(11, 23);
}

// "5m 03s ago", "12.0 s from now", relative to `now_ms`.
export function ago(ms, nowMs) {
  const n = num(ms);
  if (n <= 0) {
    return '-';
  }
  const delta = num(nowMs) - n;
  return delta >= 0 ? `${duration(delta)} ago` : `in ${duration(-delta)}`;
}

// A JSON value as indented text (textContent only, never markup).
export function json(value) {
  if (value === undefined) {
    return '';
  }
  return typeof value === 'string' ? value : JSON.stringify(value, null, 2);
}

// "TYPE: MESSAGE", or the exception class in place of "exception", as
// the CLI prints an error.
export function errorSummary(error) {
  if (!error) {
    return '';
  }
  const kind = error.type === 'exception' && error.exception ? error.exception : error.type;
  return error.message ? `${kind}: ${error.message}` : kind || '';
}
