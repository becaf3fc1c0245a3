// Building the page. Data from the broker only ever becomes text
// (textContent, attribute values): never markup, so a task name or an
// error holding "<script>" shows as those characters.

import { isAdmin } from './api.js';

// el('td', {class: 'num', dataset: {queue: name}}, 'text', childNode, ...)
// Attributes: class, dataset, on<event> (a listener), boolean attributes,
// anything else through setAttribute. Children: strings (as text), nodes,
// arrays of them; null and false are skipped.
export function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  applyAttributes(node, attributes);
  append(node, children);
  return node;
}

const SVG = 'http://www.w3.org/2000/svg';
export function svg(tag, attributes = {}, ...children) {
  const node = document.createElementNS(SVG, tag);
  applyAttributes(node, attributes);
  append(node, children);
  return node;
}

function applyAttributes(node, attributes) {
  for (const [key, value] of Object.entries(attributes)) {
    if (value === undefined || value === null || value === false) {
      continue;
    }
    if (key === 'class') {
      node.setAttribute('class', Array.isArray(value) ? value.filter(Boolean).join(' ') : value);
    } else if (key === 'dataset') {
      Object.assign(node.dataset, value);
    } else if (key.startsWith('on') && typeof value === 'function') {
      node.addEventListener(key.slice(2), value);
    } else {
      node.setAttribute(key, value === true ? '' : String(value));
    }
  }
}

export function append(node, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) {
      continue;
    }
    node.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return node;
}

// Sets a node's text only when it changed (live tables update in place).
export function setText(node, text) {
  const value = String(text);
  if (node.textContent !== value) {
    node.textContent = value;
  }
}

export function clear(node) {
  node.replaceChildren();
  return node;
}

// The node made once for `key` (a row's link or badge), so that a live
// table does not replace it with every snapshot.
export function cached(cache, key, make) {
  let node = cache.get(key);
  if (!node) {
    node = make();
    cache.set(key, node);
  }
  return node;
}

export function badge(text, kind = text) {
  return el('span', { class: ['badge', `state-${kind}`] }, text);
}

const READ_ONLY = 'Needs an admin token: this session is read-only';

// A button that acts on the broker. In a read session it is disabled and
// says why; the broker would refuse the call anyway.
export function actionButton(label, onClick, { danger = false, title = '', disabled = false } = {}) {
  const button = el('button', { type: 'button', class: danger ? 'danger' : 'action' }, label);
  button.addEventListener('click', onClick);
  setActionEnabled(button, !disabled, title);
  return button;
}

// Enables or disables an action button; the title says why it cannot be used.
export function setActionEnabled(button, enabled, whyNot = '') {
  const admin = isAdmin();
  const usable = admin && enabled;
  button.disabled = !usable;
  const title = admin ? (enabled ? '' : whyNot) : READ_ONLY;
  if (title) {
    button.title = title;
  } else {
    button.removeAttribute('title');
  }
}

// A table whose rows are kept by key: live updates change cells in place,
// so focus, hover and a pressed button survive the next snapshot.
// columns: [{head, class, cell(item) -> text | Node}] ; rowAttributes(item) -> attributes.
export class KeyedTable {
  constructor({ columns, keyOf, rowAttributes = () => ({}), empty = 'Nothing here.', caption = '' }) {
    this.columns = columns;
    this.keyOf = keyOf;
    this.rowAttributes = rowAttributes;
    this.rows = new Map();
    this.body = el('tbody');
    this.emptyRow = el('tr', { class: 'empty' }, el('td', { colspan: columns.length }, empty));
    this.element = el(
      'table',
      { class: 'grid' },
      caption ? el('caption', {}, caption) : null,
      el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col', class: c.class }, c.head)))),
      this.body,
    );
  }

  update(items) {
    const seen = new Set();
    let previous = null;
    for (const item of items) {
      const key = this.keyOf(item);
      seen.add(key);
      let row = this.rows.get(key);
      if (!row) {
        row = { tr: el('tr', this.rowAttributes(item)), cells: [] };
        for (const column of this.columns) {
          const td = el('td', { class: column.class });
          row.cells.push(td);
          row.tr.append(td);
        }
        this.rows.set(key, row);
      }
      this.columns.forEach((column, i) => fillCell(row.cells[i], column.cell(item, row.cells[i])));
      // Keeps the items' order without moving rows that are in place.
      const expected = previous ? previous.nextSibling : this.body.firstChild;
      if (expected !== row.tr) {
        this.body.insertBefore(row.tr, expected);
      }
      previous = row.tr;
    }
    for (const [key, row] of this.rows) {
      if (!seen.has(key)) {
        row.tr.remove();
        this.rows.delete(key);
      }
    }
    if (items.length === 0) {
      this.body.replaceChildren(this.emptyRow);
    } else {
      this.emptyRow.remove();
    }
  }
}

function fillCell(td, content) {
  if (content === undefined) {
    return; // the column's cell() updated the cell itself
  }
  if (content instanceof Node) {
    if (td.firstChild !== content || td.childNodes.length !== 1) {
      td.replaceChildren(content);
    }
    return;
  }
  if (td.childNodes.length === 1 && td.firstChild.nodeType === Node.TEXT_NODE) {
    setText(td.firstChild, content ?? '');
  } else {
    td.textContent = content ?? '';
  }
}

// A table built once: columns [{head, class}] (the class also aligns the
// head), rows of <tr>, and what to say when there are none.
export function gridTable(columns, rows, empty, attributes = {}) {
  return el(
    'table',
    { class: 'grid', ...attributes },
    el('thead', {}, el('tr', {}, columns.map((c) => el('th', { scope: 'col', class: c.class }, c.head)))),
    el('tbody', {}, rows.length ? rows : el('tr', { class: 'empty' }, el('td', { colspan: columns.length }, empty))),
  );
}

// A message above the page: kind "ok", "error" or "info". Errors are
// announced to screen readers.
export function notice(container, kind, text) {
  const node = el('p', { class: ['notice', kind], role: kind === 'error' ? 'alert' : 'status' }, text);
  const close = el('button', { type: 'button', class: 'link close', 'aria-label': 'Dismiss' }, '×');
  close.addEventListener('click', () => node.remove());
  node.append(close);
  container.prepend(node);
  return node;
}

// Asks in a modal dialog; resolves to true when confirmed.
export function confirmDialog(title, text, confirmLabel = 'Confirm') {
  const dialog = document.getElementById('confirm');
  setText(document.getElementById('confirm-title'), title);
  setText(document.getElementById('confirm-text'), text);
  setText(document.getElementById('confirm-ok'), confirmLabel);
  dialog.returnValue = '';
  return new Promise((resolve) => {
    dialog.addEventListener('close', () => resolve(dialog.returnValue === 'ok'), { once: true });
    dialog.showModal();
    document.getElementById('confirm-cancel').focus();
  });
}

// A "term: value" list (a job's fields, the broker's info).
export function definitionList(pairs, attributes = {}) {
  return el(
    'dl',
    { class: 'fields', ...attributes },
    pairs.filter(Boolean).map(([term, value, key]) => [
      el('dt', {}, term),
      el('dd', key ? { dataset: { field: key } } : {}, value),
    ]),
  );
}

export function section(title, ...children) {
  return el('section', { class: 'panel' }, el('h2', {}, title), ...children);
}

export function pageHeader(title, ...tools) {
  return el('div', { class: 'page-head' }, el('h1', {}, title), el('div', { class: 'tools' }, ...tools));
}
