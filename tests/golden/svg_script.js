// svg_script.js SVG - run a flame graph's embedded script against the boxes
// of that SVG (a minimal stand-in for the browser's DOM) and check what a
// click and a search do.  Used by tests/pictures.bats; prints "ok" or throws.
'use strict';
const fs = require('fs');
const svg = fs.readFileSync(process.argv[2], 'utf8');
const script = svg.match(/<!\[CDATA\[([\s\S]*?)\]\]>/)[1];

function element(attrs) {
  return {
    attrs, style: {}, textContent: '',
    getAttribute(k) { return k in this.attrs ? String(this.attrs[k]) : null; },
    setAttribute(k, v) { this.attrs[k] = v; },
    hasAttribute(k) { return k in this.attrs; },
  };
}
function parseAttrs(s) {
  const a = {};
  for (const m of s.matchAll(/([\w-]+)="([^"]*)"/g)) a[m[1]] = m[2];
  return a;
}
const frames = [];
for (const m of svg.matchAll(/<g class="f"([^>]*)><title>([^<]*)<\/title><rect([^>]*)\/><text([^>]*)>([^<]*)<\/text><\/g>/g)) {
  const g = element(parseAttrs(m[1]));
  const parts = { title: element({}), rect: element(parseAttrs(m[3])), text: element(parseAttrs(m[4])) };
  parts.title.textContent = m[2];
  parts.text.textContent = m[5];
  g.querySelector = (sel) => parts[sel];
  frames.push(g);
}
const byId = { details: element({}), matched: element({}) };
global.document = {
  querySelectorAll: () => frames,
  querySelector: () => frames[0],
  getElementById: (id) => byId[id],
};
global.prompt = () => global.answer;
global.alert = (e) => { throw new Error('alert: ' + e); };
(0, eval)(script);
init();

function assert(c, msg) { if (!c) throw new Error(msg); }
const num = (g, a) => +g.getAttribute('data-' + a);
// click on the widest box at depth 2: it fills the width, its descendants
// scale with it, boxes beside it disappear, its ancestors span the width
const d2 = frames.filter((g) => num(g, 'd') === 2).sort((a, b) => num(b, 'w') - num(a, 'w'))[0];
const x0 = num(d2, 'x'), w0 = num(d2, 'w');
d2.onclick();
for (const g of frames) {
  const x = num(g, 'x'), w = num(g, 'w'), d = num(g, 'd');
  const inside = x >= x0 - 1e-6 && x + w <= x0 + w0 + 1e-6;
  const r = g.querySelector('rect');
  if (d >= 2 && inside) {
    assert(g.style.display === '', 'a box under the zoomed one is hidden');
    const want = 10 + (x - x0) * 1180 / w0;
    assert(Math.abs(+r.getAttribute('x') - want) < 0.01, 'box not moved to ' + want);
    assert(Math.abs(+r.getAttribute('width') - w * 1180 / w0) < 0.01, 'box not scaled');
  } else if (d < 2 && x <= x0 + 1e-6 && x + w >= x0 + w0 - 1e-6) {
    assert(+r.getAttribute('width') === 1180, 'an ancestor does not span the width');
  } else {
    assert(g.style.display === 'none', 'a box beside the zoomed one is still shown: ' + g.getAttribute('data-n'));
  }
}
// hovering shows the tooltip text in the details line
d2.onmouseover();
assert(byId.details.textContent === d2.querySelector('title').textContent, 'no details on hover');
// reset: click the root
frames[0].onclick();
assert(frames.every((g) => g.style.display === ''), 'reset did not show every box');
// search: matching boxes turn magenta and the matched share is reported
global.answer = '^vfs_read$';
search();
const hits = frames.filter((g) => g.getAttribute('data-n') === 'vfs_read');
assert(hits.length > 0, 'no vfs_read box to search for');
assert(hits.every((g) => g.querySelector('rect').getAttribute('fill') === 'rgb(230,0,230)'), 'hit not highlighted');
assert(/^Matched: [0-9.]+%$/.test(byId.matched.textContent), 'no match share: ' + byId.matched.textContent);
global.answer = '';
search();
assert(hits.every((g) => g.querySelector('rect').getAttribute('fill') !== 'rgb(230,0,230)'), 'search not cleared');
console.log('ok');
