// A time-series line chart drawn on a canvas by hand: a few series over a
// fixed window ending now, a grid with round values, the newest values in
// the legend (HTML, so that it reads without the picture).

import { el, setText } from './dom.js';

const PADDING = { left: 48, right: 12, top: 10, bottom: 22 };

export class LineChart {
  // series: [{key, label, color: CSS custom property name}]; format(value) for axis and legend.
  constructor({ title, series, windowMs, format }) {
    this.series = series;
    this.windowMs = windowMs;
    this.format = format;
    this.canvas = el('canvas', { role: 'img', 'aria-label': title });
    this.values = new Map();
    const legend = el(
      'ul',
      { class: 'legend' },
      series.map((s) => {
        const value = el('span', { class: 'value' }, '-');
        this.values.set(s.key, value);
        return el('li', {}, el('span', { class: ['swatch', `swatch-${s.key}`] }), `${s.label} `, value);
      }),
    );
    this.element = el('figure', { class: 'chart' }, el('figcaption', {}, title), this.canvas, legend);
  }

  // points: [{t, [key]: value}], oldest first; nowMs: the window's right edge.
  draw(points, nowMs) {
    const canvas = this.canvas;
    const ratio = window.devicePixelRatio || 1;
    const width = canvas.clientWidth;
    const height = canvas.clientHeight;
    if (width === 0 || height === 0) {
      return; // not laid out (a hidden tab)
    }
    if (canvas.width !== Math.round(width * ratio) || canvas.height !== Math.round(height * ratio)) {
      canvas.width = Math.round(width * ratio);
      canvas.height = Math.round(height * ratio);
    }
    const ctx = canvas.getContext('2d');
    ctx.setTransform(ratio, 0, 0, ratio, 0, 0);
    ctx.clearRect(0, 0, width, height);
    const style = getComputedStyle(canvas);
    const plot = {
      x: PADDING.left,
      y: PADDING.top,
      w: width - PADDING.left - PADDING.right,
      h: height - PADDING.top - PADDING.bottom,
    };
    const start = nowMs - this.windowMs;
    // The scale fits what shows; one point before the window keeps the
    // line running to the left edge.
    const first = Math.max(0, points.findIndex((point) => point.t >= start) - 1);
    points = points.slice(first);
    let max = 0;
    for (const point of points) {
      for (const s of this.series) {
        max = Math.max(max, point[s.key]);
      }
    }
    const top = niceCeiling(max);
    this.drawGrid(ctx, style, plot, top);
    const xOf = (t) => plot.x + ((t - start) / this.windowMs) * plot.w;
    const yOf = (v) => plot.y + plot.h - (v / top) * plot.h;
    ctx.save();
    ctx.beginPath();
    ctx.rect(plot.x, plot.y, plot.w, plot.h);
    ctx.clip();
    ctx.lineWidth = 1.5;
    ctx.lineJoin = 'round';
    for (const s of this.series) {
      ctx.strokeStyle = style.getPropertyValue(s.color).trim() || '#888';
      ctx.beginPath();
      let started = false;
      for (const point of points) {
        const x = xOf(point.t);
        const y = yOf(point[s.key]);
        if (started) {
          ctx.lineTo(x, y);
        } else {
          ctx.moveTo(x, y);
          started = true;
        }
      }
      ctx.stroke();
    }
    ctx.restore();
    const last = points[points.length - 1];
    for (const s of this.series) {
      setText(this.values.get(s.key), last ? this.format(last[s.key]) : '-');
    }
  }

  drawGrid(ctx, style, plot, top) {
    ctx.strokeStyle = style.getPropertyValue('--grid').trim() || '#ddd';
    ctx.fillStyle = style.getPropertyValue('--muted').trim() || '#666';
    ctx.font = `11px ${style.fontFamily}`;
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const steps = 4;
    for (let i = 0; i <= steps; i += 1) {
      const y = Math.round(plot.y + plot.h - (i / steps) * plot.h) + 0.5;
      ctx.beginPath();
      ctx.moveTo(plot.x, y);
      ctx.lineTo(plot.x + plot.w, y);
      ctx.stroke();
      ctx.fillText(this.format((top * i) / steps), plot.x - 6, y);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    // Vertical marks every minute, or every 10 s in a window of a minute.
    const stepMs = this.windowMs > 60000 ? 60000 : 10000;
    const marks = Math.round(this.windowMs / stepMs);
    for (let m = 0; m <= marks; m += 1) {
      const x = Math.round(plot.x + plot.w - (m / marks) * plot.w) + 0.5;
      ctx.beginPath();
      ctx.moveTo(x, plot.y);
      ctx.lineTo(x, plot.y + plot.h);
      ctx.stroke();
      const ago = (m * stepMs) / 1000;
      ctx.fillText(m === 0 ? 'now' : ago >= 60 ? `-${ago / 60}m` : `-${ago}s`, x, plot.y + plot.h + 6);
    }
  }
}

// The smallest of 1, 2, 2.5, 5 × 10^k at or above `value` (at least 1).
export function niceCeiling(value) {
  if (!(value > 1)) {
    return 1;
  }
  const power = 10 ** Math.floor(Math.log10(value));
  for (const step of [1, 2, 2.5, 5, 10]) {
    if (step * power >= value) {
      return step * power;
    }
  }
  return 10 * power;
}
