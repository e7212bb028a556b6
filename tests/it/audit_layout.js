// The audit page as laid out, measured in the browser. tests/it/audit.rs appends this script to
// a copy of the page, shows that copy in a frame of the width under test (a window cannot be
// made as narrow as a phone), has headless Chromium dump the framing page, and reads the
// verdict this script writes there as JSON, in a pre element of id layout-verdict.
(function () {
  'use strict';
  var root = document.documentElement;

  // An element as laid out: its box, whether its style shows it, and whether it is what is
  // drawn at its centre once the page is scrolled to it (vertically only: scrolling sideways
  // would hide what this looks for).
  function seen(el) {
    if (!el) return null;
    var style = getComputedStyle(el);
    var r = el.getBoundingClientRect();
    window.scrollTo(0, Math.max(0, window.scrollY + r.top - window.innerHeight / 2));
    r = el.getBoundingClientRect();
    var hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
    return {
      text: el.textContent.trim(),
      left: r.left,
      right: r.right,
      width: r.width,
      height: r.height,
      styled: style.display !== 'none' && style.visibility !== 'hidden' && Number(style.opacity) > 0,
      on_top: hit !== null && (hit === el || el.contains(hit))
    };
  }

  // Every finding's amount and action.
  var findings = Array.prototype.map.call(document.querySelectorAll('[data-finding]'), function (row) {
    return {
      n: row.getAttribute('data-finding'),
      usd: seen(row.querySelector('.usd')),
      action: seen(row.querySelector('.action'))
    };
  });

  // Every resource ID in the page's text (SVG text never wraps), and those a line may break.
  var pattern = /\b[a-z]+(?:-[a-z]+)*-[0-9a-f]{8,}\b/g;
  var ids = [];
  var breakable = [];
  var walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (var node = walk.nextNode(); node; node = walk.nextNode()) {
    var parent = node.parentElement;
    if (!parent || parent.closest('script, style, svg')) continue;
    var style = getComputedStyle(parent);
    var whole = style.whiteSpace === 'nowrap' || style.whiteSpace === 'pre' ||
      style.textWrapMode === 'nowrap';
    (node.data.match(pattern) || []).forEach(function (id) {
      ids.push(id);
      if (!whole) breakable.push(id);
    });
  }

  // The time chart: its tick labels, axis lines, grid and bars.
  var svg = document.querySelector('svg#timeline');
  var box = svg ? svg.getBoundingClientRect() : null;
  function labels(selector) {
    return Array.prototype.map.call(document.querySelectorAll(selector), function (t) {
      var r = t.getBoundingClientRect();
      var s = getComputedStyle(t);
      return {
        text: t.textContent,
        left: r.left,
        right: r.right,
        top: r.top,
        bottom: r.bottom,
        height: r.height,
        shown: s.display !== 'none' && s.visibility !== 'hidden' && r.width > 0 && r.height > 0,
        inside: box !== null && r.left >= box.left - 0.5 && r.right <= box.right + 0.5 &&
          r.top >= box.top - 0.5 && r.bottom <= box.bottom + 0.5
      };
    });
  }
  var grid = svg ? svg.querySelectorAll('.y-tick line') : [];
  var zero = grid.length ? grid[0].getBoundingClientRect().top : null;
  var top = grid.length ? grid[grid.length - 1].getBoundingClientRect().top : null;
  var bars = svg ? Array.prototype.map.call(svg.querySelectorAll('rect.bar'), function (b) {
    var r = b.getBoundingClientRect();
    return { top: r.top, bottom: r.bottom };
  }) : [];

  var out = document.createElement('pre');
  out.id = 'layout-verdict';
  out.textContent = JSON.stringify({
    inner_width: window.innerWidth,
    client_width: root.clientWidth,
    scroll_width: root.scrollWidth,
    findings: findings,
    ids: ids,
    breakable_ids: breakable,
    chart: box && {
      left: box.left,
      right: box.right,
      axis_lines: svg.querySelectorAll('line.axis').length,
      y_labels: labels('svg#timeline .y-tick text'),
      x_labels: labels('svg#timeline .x-tick text.tick-label'),
      zero: zero,
      top: top,
      bars: bars
    }
  });
  (window.parent === window ? document : window.parent.document).body.appendChild(out);
})();
