/* stigmascope trends report: charts (Plotly, embedded), cell tables and the drill-down panel.
   All document text is inserted as text nodes (never as HTML). */
(function () {
  "use strict";
  const D = JSON.parse(document.getElementById("report-data").textContent);
  const PALETTE = ["#1b6ca8", "#d1495b", "#edae49", "#00798c", "#66a182", "#8d6a9f", "#30638e", "#e07a5f"];
  const CONFIG = { displaylogo: false, responsive: true, modeBarButtonsToRemove: ["lasso2d", "select2d"] };
  const pct = (v, d = 1) => (v === null || v === undefined || Number.isNaN(v)) ? "–" : (100 * v).toFixed(d) + "%";
  const num = (v) => (v === null || v === undefined) ? "–" : (Math.round(v * 10) / 10).toLocaleString();
  const keyName = (k) => D.keys[k] ? D.keys[k].zh + " · " + D.keys[k].en : k;

  function el(tag, attrs, children) {
    const e = document.createElement(tag);
    for (const [k, v] of Object.entries(attrs || {})) {
      if (k === "text") e.textContent = v;
      else if (k === "class") e.className = v;
      else if (k.startsWith("data-")) e.setAttribute(k, v);
      else e[k] = v;
    }
    for (const c of children || []) e.append(c);
    return e;
  }

  function series(place, key) {
    const p = D.series[place];
    return p ? p[key] : undefined;
  }

  /* one cell: index into the series arrays for a period index, or -1 */
  function cellAt(place, key, periodIdx) {
    const s = series(place, key);
    if (!s) return null;
    const j = s.i.indexOf(periodIdx);
    if (j < 0) return null;
    return { est: s.est[j], lo: s.lo[j], hi: s.hi[j], share: s.share[j], slo: s.slo[j], shi: s.shi[j],
             count: s.count[j], denom: s.denom[j], small: s.small[j] === 1, method: s.m[j] };
  }

  /* ---------------- charts ---------------- */
  function bandTrace(x, lo, hi, color) {
    const xs = [], ys = [];
    let run = [];
    const flush = () => {
      if (run.length) {
        for (const j of run) { xs.push(x[j]); ys.push(hi[j]); }
        for (const j of run.slice().reverse()) { xs.push(x[j]); ys.push(lo[j]); }
        xs.push(null); ys.push(null);
      }
      run = [];
    };
    for (let j = 0; j < x.length; j++) {
      if (lo[j] === null || hi[j] === null) flush(); else run.push(j);
    }
    flush();
    return { x: xs, y: ys, type: "scatter", mode: "lines", fill: "toself", fillcolor: color + "18",
             line: { width: 0 }, hoverinfo: "skip", showlegend: false };
  }

  function lineChart(div, place, facet) {
    const traces = [];
    facet.keys.forEach((key, n) => {
      const s = series(place, key);
      if (!s) return;
      const color = PALETTE[n % PALETTE.length];
      const x = s.i.map((i) => D.periods[i].s);
      traces.push(Object.assign(bandTrace(x, s.lo, s.hi, color), { legendgroup: key }));
      traces.push({
        x: x, y: s.est, type: "scatter", mode: "lines+markers", name: D.keys[key].zh, legendgroup: key,
        line: { color: color, width: 2 }, marker: { size: 6 }, connectgaps: false,
        customdata: s.i.map((i, j) => [place, i, key, pct(s.lo[j]), pct(s.hi[j]), s.count[j] === null ? "<" + D.meta.min_count : num(s.count[j]),
                                        s.denom[j] === null ? "<" + D.meta.min_count : num(s.denom[j]), s.m[j]]),
        hovertemplate: "%{x|%Y-%m-%d} " + D.keys[key].zh + "<br>%{y:.1%} (%{customdata[3]}–%{customdata[4]}, %{customdata[7]})" +
          "<br>%{customdata[5]} / %{customdata[6]}<extra>" + place + "</extra>",
      });
    });
    const layout = {
      margin: { l: 48, r: 10, t: 28, b: 40 }, height: 280, hovermode: "closest",
      title: { text: place + " · " + facet.zh, font: { size: 13 } },
      yaxis: { tickformat: ".0%", rangemode: "tozero" }, xaxis: { type: "date" },
      legend: { orientation: "h", y: -0.2 },
    };
    Plotly.newPlot(div, traces, layout, CONFIG).then(() => {
      div.on("plotly_click", (ev) => {
        const pt = ev.points.find((p) => p.customdata && p.customdata.length);
        if (pt) openDrill(pt.customdata[0], pt.customdata[1], pt.customdata[2]);
      });
    });
  }

  function mixChart(div, place, facet) {
    const traces = [];
    const periods = new Set();
    facet.keys.forEach((key) => { const s = series(place, key); if (s) s.i.forEach((i) => periods.add(i)); });
    const idx = Array.from(periods).sort((a, b) => a - b);
    const x = idx.map((i) => D.periods[i].l);
    const rest = idx.map(() => 1);
    facet.keys.forEach((key, n) => {
      const y = idx.map((i, j) => {
        const c = cellAt(place, key, i);
        const v = c && !c.small && c.share !== null ? c.share : null;
        if (v !== null) rest[j] -= v; else rest[j] = null;
        return v;
      });
      traces.push({ x: x, y: y, type: "bar", name: D.keys[key].zh, marker: { color: PALETTE[n % PALETTE.length] },
                    customdata: idx.map((i) => [place, i, key]),
                    hovertemplate: "%{x} " + D.keys[key].zh + ": %{y:.1%}<extra></extra>" });
    });
    traces.push({ x: x, y: rest.map((v) => v === null ? null : Math.max(0, v)), type: "bar",
                  name: "无/未定 none", marker: { color: "#d5d5d5" }, hoverinfo: "skip" });
    Plotly.newPlot(div, traces, {
      margin: { l: 48, r: 10, t: 28, b: 40 }, height: 260, barmode: "stack", bargap: 0.15,
      title: { text: place + " · " + facet.zh + " mix (plain shares)", font: { size: 13 } },
      yaxis: { tickformat: ".0%", range: [0, 1] }, xaxis: { type: "category" }, legend: { orientation: "h", y: -0.2 },
    }, CONFIG).then(() => {
      div.on("plotly_click", (ev) => {
        const pt = ev.points.find((p) => p.customdata && p.customdata.length);
        if (pt) openDrill(pt.customdata[0], pt.customdata[1], pt.customdata[2]);
      });
    });
  }

  function heatmap(div, key) {
    const places = D.places.filter((p) => D.series[p]);
    const z = [], text = [], custom = [];
    for (const place of places) {
      const row = [], trow = [], crow = [];
      D.periods.forEach((per, i) => {
        const c = cellAt(place, key, i);
        row.push(c && !c.small ? c.est : null);
        trow.push(c ? (c.small ? "small cell (<" + D.meta.min_count + ")" : pct(c.est) + " [" + pct(c.lo) + "–" + pct(c.hi) + "] " +
                       num(c.count) + "/" + num(c.denom)) : "no documents");
        crow.push([place, i, key]);
      });
      z.push(row); text.push(trow); custom.push(crow);
    }
    Plotly.newPlot(div, [{
      type: "heatmap", z: z, x: D.periods.map((p) => p.l), y: places, text: text, customdata: custom,
      colorscale: "YlOrRd", reversescale: true, zmin: 0, hoverongaps: false, colorbar: { tickformat: ".0%" },
      hovertemplate: "%{y} · %{x}<br>%{text}<extra></extra>",
    }], {
      margin: { l: 70, r: 10, t: 28, b: 60 }, height: Math.max(260, 26 * places.length + 110),
      title: { text: keyName(key), font: { size: 13 } }, yaxis: { autorange: "reversed", type: "category" },
      xaxis: { type: "category" }, plot_bgcolor: "#eeeeee",
    }, CONFIG).then(() => {
      div.on("plotly_click", (ev) => {
        const pt = ev.points[0];
        if (pt && pt.customdata) openDrill(pt.customdata[0], pt.customdata[1], pt.customdata[2]);
      });
    });
  }

  /* ---------------- cell tables ---------------- */
  function cellTable(place, nPeriods) {
    const used = new Set();
    for (const key of Object.keys(D.series[place] || {})) D.series[place][key].i.forEach((i) => used.add(i));
    const cols = Array.from(used).sort((a, b) => a - b).slice(-nPeriods);
    const table = el("table", { class: "cells" });
    const head = el("tr", {}, [el("th", { text: "label 标签" })]);
    cols.forEach((i) => head.append(el("th", { text: D.periods[i].l })));
    table.append(el("thead", {}, [head]));
    const body = el("tbody");
    for (const facet of D.facets) {
      body.append(el("tr", { class: "facet-row" }, [el("th", { colSpan: cols.length + 1, text: facet.zh + " · " + facet.en })]));
      for (const key of facet.keys) {
        const tr = el("tr", {}, [el("th", { text: D.keys[key].zh, title: key })]);
        cols.forEach((i) => {
          const c = cellAt(place, key, i);
          const td = el("td");
          if (!c) td.textContent = "";
          else {
            const b = el("button", { type: "button", class: "cell" + (c.small ? " small" : ""), "data-drill": place + "|" + i + "|" + key,
                                     text: c.small ? "<" + D.meta.min_count : pct(c.est, 0),
                                     title: c.small ? "small cell" : pct(c.est) + " [" + pct(c.lo) + "–" + pct(c.hi) + "]" });
            if (!c.small && c.est !== null) b.style.background = "rgba(209,73,91," + Math.min(0.85, 0.08 + c.est).toFixed(2) + ")";
            td.append(b);
          }
          tr.append(td);
        });
        body.append(tr);
      }
    }
    table.append(body);
    return el("div", { class: "table-wrap" }, [table]);
  }

  /* ---------------- drill-down ---------------- */
  const drill = document.getElementById("drill");
  function openDrill(place, periodIdx, key) {
    periodIdx = Number(periodIdx);
    const per = D.periods[periodIdx];
    const c = cellAt(place, key, periodIdx);
    const body = drill.querySelector(".drill-body");
    body.replaceChildren();
    drill.querySelector(".drill-title").textContent = place + " · " + (per ? per.l : "?") + " · " + keyName(key);
    if (!c) {
      body.append(el("p", { text: "No documents in this cell. 此单元无文档。" }));
    } else if (c.small) {
      body.append(el("p", { class: "suppressed", text: "Small cell: fewer than " + D.meta.min_count +
        " documents in the denominator — numbers and examples are suppressed. 样本过少，已隐去。" }));
    } else {
      const what = D.keys[key] && D.keys[key].gate ? "documents" : "relevant documents";
      body.append(el("p", { class: "numbers", text:
        num(c.count) + " of " + num(c.denom) + " " + what + " · share " + pct(c.share) + " (Wilson " + pct(c.slo) + "–" + pct(c.shi) + ")" +
        " · estimate " + pct(c.est) + " [" + pct(c.lo) + "–" + pct(c.hi) + "] " + (c.method === "acc" ? "error-corrected" : "not corrected") }));
      const refs = (D.examples.cells[place + "|" + (per ? per.s : "") + "|" + key]) || [];
      if (!refs.length) body.append(el("p", { text: "No example documents (no document in this cell was classified with this label)." }));
      for (const ref of refs) {
        const doc = D.examples.docs[ref];
        if (!doc) continue;
        const meta = [doc.date, doc.source, doc.outlet, doc.score === null ? null : "score " + doc.score.toFixed(2), "id " + doc.id]
          .filter((v) => v).join(" · ");
        const p = el("p", { class: "snippet" });
        for (const [text, mark] of doc.segments) p.append(mark ? el("mark", { text: text }) : document.createTextNode(text));
        const art = el("article", { class: "example" }, [el("div", { class: "meta", text: meta })]);
        if (doc.segments.length) art.append(p);
        if (doc.phrases.length) {
          const ul = el("p", { class: "phrases" }, [document.createTextNode("evidence 证据: ")]);
          doc.phrases.forEach((ph, n) => { if (n) ul.append(document.createTextNode(" · ")); ul.append(el("mark", { text: ph })); });
          art.append(ul);
        }
        if (!doc.segments.length && !doc.phrases.length) art.append(el("p", { text: "(no text in the predictions file)" }));
        body.append(art);
      }
    }
    drill.hidden = false;
    drill.setAttribute("aria-hidden", "false");
    drill.querySelector(".drill-close").focus();
  }
  function closeDrill() { drill.hidden = true; drill.setAttribute("aria-hidden", "true"); }
  drill.querySelector(".drill-close").addEventListener("click", closeDrill);
  document.addEventListener("keydown", (e) => { if (e.key === "Escape") closeDrill(); });
  document.addEventListener("click", (e) => {
    const t = e.target.closest("[data-drill]");
    if (!t) return;
    const [place, idx, key] = t.getAttribute("data-drill").split("|");
    openDrill(place, idx, key);
  });

  /* ---------------- page ---------------- */
  function renderPlace(section) {
    if (section.dataset.rendered) return;
    section.dataset.rendered = "1";
    const place = section.dataset.place;
    const box = section.querySelector(".place-body");
    chartGrid(box, place);
    box.append(cellTable(place, D.meta.table_periods));
  }

  /* all chart boxes first, then the charts, so each chart sizes to its final grid cell */
  function chartGrid(box, place) {
    const jobs = [];
    for (const facet of D.facets) {
      const div = el("div", { class: "chart" });
      box.append(div);
      jobs.push(() => lineChart(div, place, facet));
      if (facet.kind === "single_label") {
        const mix = el("div", { class: "chart" });
        box.append(mix);
        jobs.push(() => mixChart(mix, place, facet));
      }
    }
    jobs.forEach((job) => job());
  }

  function init() {
    const nat = D.meta.national;
    chartGrid(document.getElementById("overview-charts"), nat);
    document.getElementById("national-table").append(cellTable(nat, D.meta.table_periods));
    const sel = document.getElementById("heat-key");
    for (const facet of D.facets) {
      const g = el("optgroup", { label: facet.zh + " · " + facet.en });
      for (const key of facet.keys) g.append(el("option", { value: key, text: keyName(key) }));
      sel.append(g);
    }
    const heat = document.getElementById("heatmap");
    sel.addEventListener("change", () => { Plotly.purge(heat); heatmap(heat, sel.value); });
    heatmap(heat, sel.value);
    document.querySelectorAll("details.place").forEach((d) => {
      d.addEventListener("toggle", () => { if (d.open) renderPlace(d); });
      if (d.open) renderPlace(d);
    });
    document.body.dataset.ready = "1";
  }
  init();
})();
