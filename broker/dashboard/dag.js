// A workflow's DAG drawn in SVG, left to right: each node in the layer of
// its longest path from a root, nodes in a layer ordered by where their
// parents are (fewer crossings), coloured by state, each a link to its job.

import { svg } from './dom.js';

export const DAG_NODES_MAX = 300;

const NODE_W = 150;
const NODE_H = 30;
const GAP_X = 60;
const GAP_Y = 14;
const MARGIN = 18; // room for the edges that bow above the top row

// nodes: [{name, after: [parent names]}] -> Map name -> layer. Parents
// not among `nodes` are ignored; so is a cycle, which the broker refuses.
export function layers(nodes) {
  const byName = new Map(nodes.map((node) => [node.name, node]));
  const children = new Map(nodes.map((node) => [node.name, []]));
  const waiting = new Map();
  for (const node of nodes) {
    const parents = (node.after ?? []).filter((name) => byName.has(name));
    waiting.set(node.name, parents.length);
    parents.forEach((parent) => children.get(parent).push(node.name));
  }
  const layer = new Map();
  const ready = nodes.filter((node) => waiting.get(node.name) === 0).map((node) => node.name);
  ready.forEach((name) => layer.set(name, 0));
  // Kahn's order: a node is placed once all its parents are.
  for (let i = 0; i < ready.length; i += 1) {
    const name = ready[i];
    for (const child of children.get(name)) {
      layer.set(child, Math.max(layer.get(child) ?? 0, layer.get(name) + 1));
      waiting.set(child, waiting.get(child) - 1);
      if (waiting.get(child) === 0) {
        ready.push(child);
      }
    }
  }
  for (const node of nodes) {
    if (!layer.has(node.name)) {
      layer.set(node.name, 0);
    }
  }
  return layer;
}

// Positions: Map name -> {x, y}, and the drawing's size.
export function layout(nodes) {
  const layerOf = layers(nodes);
  const columns = [];
  for (const node of nodes) {
    const l = layerOf.get(node.name);
    (columns[l] ??= []).push(node);
  }
  const row = new Map();
  columns.forEach((column, l) => {
    if (l > 0) {
      // Barycentre of the parents' rows; ties keep the given order.
      const key = (node) => {
        const rows = (node.after ?? []).filter((p) => row.has(p)).map((p) => row.get(p));
        return rows.length ? rows.reduce((a, b) => a + b, 0) / rows.length : Infinity;
      };
      column.sort((a, b) => key(a) - key(b));
    }
    column.forEach((node, i) => row.set(node.name, i));
  });
  const tallest = Math.max(1, ...columns.map((column) => column?.length ?? 0));
  const position = new Map();
  columns.forEach((column, l) => {
    // Each column centred against the tallest one.
    const offset = ((tallest - column.length) * (NODE_H + GAP_Y)) / 2;
    column.forEach((node, i) => {
      position.set(node.name, { layer: l, x: MARGIN + l * (NODE_W + GAP_X), y: MARGIN + offset + i * (NODE_H + GAP_Y) });
    });
  });
  return {
    position,
    width: 2 * MARGIN + columns.length * NODE_W + Math.max(0, columns.length - 1) * GAP_X,
    height: 2 * MARGIN + tallest * NODE_H + (tallest - 1) * GAP_Y,
  };
}

// The SVG element. jobHref(node) -> the link of a node's job.
export function drawDag(nodes, jobHref) {
  const { position, width, height } = layout(nodes);
  const edges = svg('g', { class: 'edges' });
  const boxes = svg('g', { class: 'nodes' });
  for (const node of nodes) {
    const to = position.get(node.name);
    for (const parent of node.after ?? []) {
      const from = position.get(parent);
      if (!from) {
        continue;
      }
      const x1 = from.x + NODE_W;
      const y1 = from.y + NODE_H / 2;
      const x2 = to.x;
      const y2 = to.y + NODE_H / 2;
      const bend = GAP_X / 2;
      // An edge over several layers bows above its ends, so that it is not
      // taken for an edge into the nodes it passes.
      const lift = to.layer - from.layer > 1 ? Math.min(y1, y2) - NODE_H - GAP_Y : null;
      const d =
        lift === null
          ? `M${x1},${y1} C${x1 + bend},${y1} ${x2 - bend},${y2} ${x2},${y2}`
          : `M${x1},${y1} C${x1 + 2 * bend},${lift} ${x2 - 2 * bend},${lift} ${x2},${y2}`;
      edges.append(svg('path', { d, class: lift === null ? null : 'long' }));
    }
    const label = node.name.length > 20 ? `${node.name.slice(0, 19)}…` : node.name;
    boxes.append(
      svg(
        'a',
        { href: jobHref(node), class: ['node', `state-${node.state}`], dataset: { node: node.name } },
        svg('title', {}, `${node.name}: ${node.state} (${node.task})`),
        svg('rect', { x: to.x, y: to.y, width: NODE_W, height: NODE_H, rx: 4 }),
        svg('text', { x: to.x + 8, y: to.y + NODE_H / 2 + 4 }, label),
      ),
    );
  }
  return svg(
    'svg',
    {
      class: 'dag',
      width,
      height,
      viewBox: `0 0 ${width} ${height}`,
      role: 'group',
      'aria-label': `Workflow graph of ${nodes.length} nodes`,
    },
    edges,
    boxes,
  );
}
