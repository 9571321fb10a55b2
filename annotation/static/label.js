/* stigmascope labelling page: keyboard-first facet form, evidence spans snapped to word boundaries,
 * undo, server-side draft autosave, idempotent submit. Used by the labelling and adjudication pages.
 * Document text is untrusted: it is only ever inserted with textContent / createTextNode. */
(function () {
  "use strict";

  var page = JSON.parse(document.getElementById("page-data").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').getAttribute("content");
  var text = page.text;
  var facets = page.form.facets;
  var gateKey = page.form.gate;
  var article = document.getElementById("doc-text");
  var formEl = document.getElementById("label-form");
  var statusEl = document.getElementById("status");
  var spanList = document.getElementById("span-list");
  var chooser = document.getElementById("chooser");
  var chooserList = document.getElementById("chooser-list");
  var chooserText = document.getElementById("chooser-text");
  var guide = document.getElementById("guidelines");
  var commentEl = document.getElementById("comment");
  var flagEl = document.getElementById("flagged");

  var state = clone(page.state);
  state.spans = state.spans || [];
  var history = [];
  var armed = null;          // output key of the facet waiting for a label key
  var spanMode = null;       // {anchor, cursor}: token indices while selecting with the keyboard
  var pending = null;        // {start, end}: a snapped selection waiting for its label
  var submitting = false;
  var submissionId = newId();
  var started = Date.now();
  var saveTimer = null;
  var skipArmedUntil = 0;    // S asks to be pressed twice: a skip sends the document to someone else

  var byOut = {}, byKey = {};
  facets.forEach(function (f) { byOut[f.output_key] = f; if (f.key) { byKey[f.key] = f; } });
  var bounds = makeBounds(text, page.tokens || []);

  function clone(x) { return JSON.parse(JSON.stringify(x)); }
  function newId() {
    if (window.crypto && window.crypto.randomUUID) { return window.crypto.randomUUID(); }
    var a = new Uint8Array(16); window.crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function say(msg, kind) {
    statusEl.textContent = msg;
    statusEl.className = "status" + (kind ? " " + kind : "");
  }

  // ---- token boundaries and snapping (mirrors annotation/spans.py) ----------------------------
  function makeBounds(t, ends) {
    var b = [0], i;
    if (!ends.length) { for (i = 1; i <= t.length; i++) { b.push(i); } return b; }
    ends.forEach(function (e) { if (e > 0 && e < t.length && e !== b[b.length - 1]) { b.push(e); } });
    if (t.length > 0) { b.push(t.length); }
    return b;
  }
  var BLANK = /^[\s\p{P}\p{Z}]*$/u;
  function blank(i) { return BLANK.test(text.slice(bounds[i], bounds[i + 1])); }
  function snap(start, end) {
    var n = text.length, i, j;
    start = Math.max(0, Math.min(start, n)); end = Math.max(0, Math.min(end, n));
    if (start >= end) { return null; }
    i = 0; while (i + 1 < bounds.length && bounds[i + 1] <= start) { i++; }
    j = bounds.length - 1; while (j - 1 >= 0 && bounds[j - 1] >= end) { j--; }
    while (i < j && blank(i)) { i++; }
    while (j > i && blank(j - 1)) { j--; }
    return i < j ? {start: bounds[i], end: bounds[j]} : null;
  }
  function tokenAt(offset) {
    var i = 0; while (i + 1 < bounds.length - 1 && bounds[i + 1] <= offset) { i++; } return i;
  }

  // ---- labels ----------------------------------------------------------------------------------
  function gateOn() { return !gateKey || !!state.labels[gateKey]; }
  function isOn(f, id) {
    var v = state.labels[f.output_key];
    if (f.kind === "binary") { return !!v; }
    if (f.kind === "multi_label") { return (v || []).indexOf(id) >= 0; }
    return v === id;
  }
  function labelName(key) {
    for (var i = 0; i < facets.length; i++) {
      for (var j = 0; j < facets[i].labels.length; j++) {
        if (facets[i].labels[j].score_key === key) { return facets[i].labels[j]; }
      }
    }
    return {name_zh: key, name_en: key};
  }
  function effectiveLabels() {
    var out = clone(state.labels);
    if (gateKey && !out[gateKey]) {
      facets.forEach(function (f) { if (f.gated) { out[f.output_key] = f.kind === "multi_label" ? [] : null; } });
    }
    return out;
  }
  function positiveKeys(labels) {
    var keys = [];
    facets.forEach(function (f) {
      var v = labels[f.output_key];
      f.labels.forEach(function (l) {
        var on = f.kind === "binary" ? !!v : f.kind === "multi_label" ? (v || []).indexOf(l.id) >= 0 : v === l.id;
        if (on) { keys.push(l.score_key); }
      });
    });
    return keys;
  }
  function remember() { history.push(clone(state)); if (history.length > 200) { history.shift(); } }
  function changed() { render(); scheduleSave(); }

  function toggle(f, id) {
    remember();
    if (f.kind === "binary") {
      state.labels[f.output_key] = !state.labels[f.output_key];
    } else {
      if (f.gated && gateKey && !state.labels[gateKey]) { state.labels[gateKey] = true; }
      if (f.kind === "multi_label") {
        var cur = (state.labels[f.output_key] || []).slice(), k = cur.indexOf(id);
        if (k >= 0) { cur.splice(k, 1); } else { cur.push(id); }
        state.labels[f.output_key] = f.labels.map(function (l) { return l.id; })
          .filter(function (x) { return cur.indexOf(x) >= 0; });
      } else {
        state.labels[f.output_key] = id;  // a radio: choosing again keeps it (relevance off clears it)
      }
    }
    var on = positiveKeys(effectiveLabels());
    state.spans = state.spans.filter(function (s) { return on.indexOf(s.key) >= 0; });
    changed();
  }

  // ---- rendering -------------------------------------------------------------------------------
  function render() {
    var gate = gateOn();
    facets.forEach(function (f) {
      var fs = formEl.querySelector('fieldset[data-facet="' + f.output_key + '"]');
      fs.classList.toggle("armed", armed === f.output_key);
      fs.classList.toggle("inactive", !!(f.gated && !gate));
      f.labels.forEach(function (l) {
        var input = fs.querySelector('input[value="' + l.id + '"]');
        input.checked = isOn(f, l.id);
        input.closest("label").classList.toggle("on", input.checked);
      });
    });
    if (flagEl) { flagEl.checked = !!state.flagged; }
    if (commentEl && document.activeElement !== commentEl) { commentEl.value = state.comment || ""; }
    renderText();
    renderSpans();
  }

  function renderText() {
    var cuts = [0, text.length], sel = null;
    state.spans.forEach(function (s) { cuts.push(s.start, s.end); });
    if (spanMode) {
      var a = Math.min(spanMode.anchor, spanMode.cursor), b = Math.max(spanMode.anchor, spanMode.cursor);
      sel = {start: bounds[a], end: bounds[b + 1]};
      cuts.push(sel.start, sel.end);
    }
    if (pending) { cuts.push(pending.start, pending.end); }
    cuts = cuts.filter(function (x, i, arr) { return arr.indexOf(x) === i; }).sort(function (x, y) { return x - y; });
    var frag = document.createDocumentFragment();
    for (var i = 0; i + 1 < cuts.length; i++) {
      var s = cuts[i], e = cuts[i + 1], piece = text.slice(s, e);
      var keys = state.spans.filter(function (sp) { return sp.start <= s && sp.end >= e; })
        .map(function (sp) { return sp.key; });
      var inSel = (sel && sel.start <= s && sel.end >= e) || (pending && pending.start <= s && pending.end >= e);
      if (!keys.length && !inSel) { frag.appendChild(document.createTextNode(piece)); continue; }
      var el = document.createElement(keys.length ? "mark" : "span");
      el.textContent = piece;
      if (keys.length) {
        el.className = "ev" + (keys.length > 1 ? " ev-multi" : "");
        el.title = keys.map(function (k) { var l = labelName(k); return l.name_zh + " " + l.name_en; }).join(" · ");
      }
      if (inSel) { el.classList.add("kbd-sel"); if (spanMode) { el.id = "kbd-cursor"; } }
      frag.appendChild(el);
    }
    article.textContent = "";
    article.appendChild(frag);
    var cur = document.getElementById("kbd-cursor");
    if (cur && cur.scrollIntoView) { cur.scrollIntoView({block: "nearest"}); }
  }

  function renderSpans() {
    spanList.textContent = "";
    state.spans.forEach(function (s, idx) {
      var li = document.createElement("li"), chip = document.createElement("span"), q = document.createElement("q");
      var l = labelName(s.key), x = document.createElement("button");
      chip.className = "chip"; chip.textContent = l.name_zh + " · " + l.name_en;
      q.textContent = text.slice(s.start, s.end); q.lang = "zh";
      x.type = "button"; x.className = "remove"; x.textContent = "×"; x.setAttribute("aria-label", "remove span");
      x.addEventListener("click", function () { remember(); state.spans.splice(idx, 1); changed(); });
      li.appendChild(chip); li.appendChild(q); li.appendChild(x);
      spanList.appendChild(li);
    });
  }

  // ---- evidence spans ----------------------------------------------------------------------------
  function offsetIn(node, offset) {
    var r = document.createRange();
    r.setStart(article, 0); r.setEnd(node, offset);
    return r.toString().length;
  }
  function openChooser(span) {
    var on = positiveKeys(effectiveLabels());
    if (!on.length) { pending = null; render(); say("Choose a label first, then select its evidence.", "warn"); return; }
    pending = span;
    chooserText.textContent = "“" + text.slice(span.start, span.end) + "”";
    chooserList.textContent = "";
    on.slice(0, 9).forEach(function (key, i) {
      var li = document.createElement("li"), b = document.createElement("button"), k = document.createElement("kbd");
      var l = labelName(key);
      b.type = "button"; k.textContent = String(i + 1);
      b.appendChild(k); b.appendChild(document.createTextNode(" " + l.name_zh + " · " + l.name_en));
      b.addEventListener("click", function () { attach(key); });
      li.appendChild(b); chooserList.appendChild(li);
    });
    chooser.hidden = false;
    render();
  }
  function closeChooser() { chooser.hidden = true; pending = null; render(); }
  function attach(key) {
    if (!pending) { return; }
    var p = pending, dup = state.spans.some(function (s) { return s.key === key && s.start === p.start && s.end === p.end; });
    chooser.hidden = true; pending = null;
    if (!dup) { remember(); state.spans.push({key: key, start: p.start, end: p.end}); }
    changed();
    var l = labelName(key);
    say("Evidence for " + l.name_zh + ": “" + text.slice(p.start, p.end) + "”", "ok");
  }
  article.addEventListener("mouseup", function () {
    var sel = window.getSelection();
    if (!sel || sel.isCollapsed || !article.contains(sel.anchorNode) || !article.contains(sel.focusNode)) { return; }
    var a = offsetIn(sel.anchorNode, sel.anchorOffset), b = offsetIn(sel.focusNode, sel.focusOffset);
    sel.removeAllRanges();
    var span = snap(Math.min(a, b), Math.max(a, b));
    if (span) { spanMode = null; openChooser(span); }
  });
  function spanKeys(ev) {
    var last = bounds.length - 2, step = ev.key === "ArrowUp" || ev.key === "ArrowDown" ? 12 : 1;
    if (ev.key === "Escape" || ev.key === "e") { spanMode = null; render(); say("", ""); return; }
    if (ev.key === "Enter") {
      var a = Math.min(spanMode.anchor, spanMode.cursor), b = Math.max(spanMode.anchor, spanMode.cursor);
      var span = snap(bounds[a], bounds[b + 1]);
      spanMode = null;
      if (span) { openChooser(span); } else { render(); say("Only punctuation selected.", "warn"); }
      return;
    }
    var dir = {ArrowLeft: -1, ArrowUp: -1, ArrowRight: 1, ArrowDown: 1}[ev.key];
    if (!dir) { return; }
    spanMode.cursor = Math.max(0, Math.min(last, spanMode.cursor + dir * step));
    if (!ev.shiftKey) { spanMode.anchor = spanMode.cursor; }
    render();
  }
  function startSpanMode() {
    if (text.length === 0) { return; }
    var start = state.spans.length ? tokenAt(state.spans[state.spans.length - 1].end) : 0;
    while (start < bounds.length - 2 && blank(start)) { start++; }
    spanMode = {anchor: start, cursor: start};
    render();
    say("Evidence: ← → move, Shift extends, Enter attaches, Esc cancels.", "");
  }

  // ---- saving ----------------------------------------------------------------------------------
  function send(method, url, body, keepalive) {
    return fetch(url, {method: method, credentials: "same-origin", keepalive: !!keepalive,
      headers: {"Content-Type": "application/json", "X-CSRF-Token": csrf}, body: JSON.stringify(body)});
  }
  function scheduleSave() {
    if (!page.draft_url) { return; }
    clearTimeout(saveTimer);
    saveTimer = setTimeout(saveDraft, 700);
  }
  function saveDraft(keepalive) {
    clearTimeout(saveTimer); saveTimer = null;
    if (!page.draft_url || submitting) { return; }
    send("PUT", page.draft_url, state, keepalive).then(function (r) {
      if (r.ok) { say("Draft saved " + new Date().toLocaleTimeString(), "muted"); }
      else { r.json().then(function (j) { say("Draft not saved: " + j.detail, "error"); }); }
    }, function () { say("Draft not saved: the server is not reachable.", "error"); });
  }
  window.addEventListener("pagehide", function () { if (saveTimer) { saveDraft(true); } });

  function missingRequired() {
    var gate = gateOn();
    for (var i = 0; i < facets.length; i++) {
      var f = facets[i];
      if (f.kind === "single_label" && (gate || !f.gated) && !state.labels[f.output_key]) { return f; }
    }
    return null;
  }
  function submit() {
    if (submitting) { return; }
    var miss = missingRequired();
    if (miss) {
      armed = miss.output_key; render();
      say("Choose one " + miss.name_zh + " (" + miss.name_en + ") label first: press its letter.", "warn");
      return;
    }
    var labels = effectiveLabels(), on = positiveKeys(labels);
    var body = {submission_id: submissionId, labels: labels, comment: state.comment || "", flagged: !!state.flagged,
      spans: state.spans.filter(function (s) { return on.indexOf(s.key) >= 0; }),
      duration_ms: Date.now() - started, prefilled_from: page.prefilled_from};
    submitting = true; clearTimeout(saveTimer);
    say("Saving…", "");
    var attempt = 0;
    (function go() {
      send("POST", page.submit_url, body).then(function (r) {
        return r.json().then(function (j) { return {ok: r.ok, status: r.status, j: j}; });
      }).then(function (res) {
        if (res.ok) {
          try { sessionStorage.setItem("stigmascope-flash", (page.mode === "adjudicate" ? "Gold saved" : "Saved") +
            " · version " + res.j.version + (page.mode === "adjudicate" ? "" : " · U goes back to it")); } catch (e) { /* private mode */ }
          window.location.assign(res.j.next_url || page.next_url);
        } else {
          submitting = false;
          say("Not saved: " + res.j.detail, "error");
        }
      }, function () {
        if (++attempt <= 4) { say("Connection lost, retrying (" + attempt + ")…", "warn"); setTimeout(go, 500 * attempt); }
        else { submitting = false; say("Not saved: the server is not reachable. Press Enter to try again.", "error"); }
      });
    })();
  }
  function skip() {
    if (!page.skip_url || submitting) { return; }
    submitting = true; clearTimeout(saveTimer);
    send("POST", page.skip_url, {reason: state.comment || null}).then(function (r) {
      return r.json().then(function (j) {
        if (r.ok) { window.location.assign(j.next_url); } else { submitting = false; say("Not skipped: " + j.detail, "error"); }
      });
    }, function () { submitting = false; say("Not skipped: the server is not reachable.", "error"); });
  }
  function undo() {
    if (history.length) { state = history.pop(); changed(); say("Undone.", "muted"); return; }
    if (page.back_url) { window.location.assign(page.back_url); return; }
    say("Nothing to undo.", "muted");
  }
  function toggleGuide(show) {
    guide.hidden = show === undefined ? !guide.hidden : !show;
    if (!guide.hidden) { guide.focus(); }
  }

  // ---- keyboard ------------------------------------------------------------------------------------
  document.addEventListener("keydown", function (ev) {
    if (ev.altKey || ev.metaKey) { return; }
    var t = ev.target, typing = t && (t.tagName === "TEXTAREA" || (t.tagName === "INPUT" && t.type === "text"));
    if (ev.ctrlKey) {
      if (ev.key === "Enter") { ev.preventDefault(); submit(); }
      else if ((ev.key === "z" || ev.key === "Z") && !typing) { ev.preventDefault(); undo(); }
      return;
    }
    if (!guide.hidden) {
      if (ev.key === "Escape" || ev.key === "?") { ev.preventDefault(); toggleGuide(false); }
      return;
    }
    if (!chooser.hidden) {
      ev.preventDefault();
      var items = chooserList.querySelectorAll("button");
      if (ev.key === "Escape") { closeChooser(); }
      else if (ev.key === "Enter" && items.length) { items[0].click(); }
      else if (/^[1-9]$/.test(ev.key) && items[+ev.key - 1]) { items[+ev.key - 1].click(); }
      return;
    }
    if (spanMode) { ev.preventDefault(); spanKeys(ev); return; }
    if (typing) {
      if (ev.key === "Escape") { t.blur(); }
      return;
    }
    var k = ev.key;
    if (k === "Enter") { ev.preventDefault(); armed = null; submit(); return; }
    if (k === "Escape") { armed = null; render(); say("", ""); return; }
    if (byKey[k]) {
      ev.preventDefault();
      var f = byKey[k];
      if (f.kind === "binary") { armed = null; toggle(f, f.labels[0].id); return; }
      armed = armed === f.output_key ? null : f.output_key;
      render();
      if (armed) { say(f.name_zh + " · " + f.name_en + ": press a label letter (Esc to leave).", ""); }
      return;
    }
    if (armed) {
      var fa = byOut[armed], lab = fa.labels.filter(function (l) { return l.key === k; })[0];
      if (lab) { ev.preventDefault(); armed = null; toggle(fa, lab.id); say("", ""); return; }
    }
    if (k === "?") { ev.preventDefault(); toggleGuide(true); return; }
    if (k === "u" || k === "U") { ev.preventDefault(); undo(); return; }
    if (k === "e" || k === "E") { ev.preventDefault(); armed = null; startSpanMode(); return; }
    if ((k === "s" || k === "S") && page.skip_url) {
      ev.preventDefault();
      if (Date.now() < skipArmedUntil) { skip(); return; }
      skipArmedUntil = Date.now() + 3000;
      say("Press S again to skip this document (it goes to another annotator).", "warn");
      return;
    }
    if ((k === "f" || k === "F") && flagEl) { ev.preventDefault(); remember(); state.flagged = !state.flagged; changed(); return; }
    if ((k === "c" || k === "C") && commentEl) { ev.preventDefault(); commentEl.focus(); return; }
  });

  // ---- mouse ---------------------------------------------------------------------------------------
  formEl.addEventListener("click", function (ev) {
    var label = ev.target.closest("label.option");
    if (!label) { return; }
    ev.preventDefault();
    var f = byOut[label.closest("fieldset").getAttribute("data-facet")];
    armed = null;
    toggle(f, label.getAttribute("data-label"));
  });
  formEl.addEventListener("submit", function (ev) { ev.preventDefault(); });
  if (commentEl) {
    commentEl.addEventListener("input", function () { state.comment = commentEl.value; scheduleSave(); });
  }
  if (flagEl) {
    flagEl.addEventListener("change", function () { remember(); state.flagged = flagEl.checked; changed(); });
  }
  document.getElementById("submit-btn").addEventListener("click", submit);
  document.getElementById("undo-btn").addEventListener("click", undo);
  document.getElementById("guide-btn").addEventListener("click", function () { toggleGuide(true); });
  document.getElementById("guide-close").addEventListener("click", function () { toggleGuide(false); });
  var skipBtn = document.getElementById("skip-btn");
  if (skipBtn) { skipBtn.addEventListener("click", skip); }

  render();
  try {
    var flash = sessionStorage.getItem("stigmascope-flash");
    if (flash) { sessionStorage.removeItem("stigmascope-flash"); say(flash, "ok"); }
  } catch (e) { /* private mode */ }
  if (page.origin === "draft") { say("Restored your unsent draft.", "muted"); }
  document.body.setAttribute("data-ready", "1");
})();
