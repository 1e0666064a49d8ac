// qbdb web page: plain JavaScript over the JSON API (docs/api/README.md), no framework.
// Every string from the API reaches the page through textContent or an attribute set with
// setAttribute (see h()), never through innerHTML, so nothing from the database is parsed as HTML.
"use strict";

(function () {
  // ---------------------------------------------------------------- DOM and formatting helpers

  // h("a", {href: "#/x", class: "c"}, "text", child...): builds an element. Children may be
  // strings (text nodes), nodes, arrays, null/undefined/false (skipped).
  function h(tag, attrs) {
    const el = document.createElement(tag);
    if (attrs) {
      for (const k of Object.keys(attrs)) {
        const v = attrs[k];
        if (v == null || v === false) continue;
        if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
        else if (k === "dataset") Object.assign(el.dataset, v);
        else if (v === true) el.setAttribute(k, "");
        else el.setAttribute(k, String(v));
      }
    }
    for (let i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function append(el, c) {
    if (c == null || c === false) return;
    if (Array.isArray(c)) c.forEach((x) => append(el, x));
    else if (c instanceof Node) el.appendChild(c);
    else el.appendChild(document.createTextNode(String(c)));
  }

  // Human units exactly as the CLI prints them (core/units.c: qb_unit_format).
  const SCALES = {
    ns: [[1e9, "s"], [1e6, "ms"], [1e3, "\u00b5s"], [1, "ns"], [1e-3, "ps"]],
    B: [[1099511627776, "TiB"], [1073741824, "GiB"], [1048576, "MiB"], [1024, "KiB"], [1, "B"]],
    "1/s": [[1e12, "T"], [1e9, "G"], [1e6, "M"], [1e3, "K"], [1, ""]],
  };
  function fmtNum(v, unit, suffix) {
    const a = Math.abs(v);
    const dec = a >= 1000 ? 0 : a >= 100 ? 1 : a >= 10 ? 2 : 3;
    return v.toFixed(dec) + " " + unit + suffix;
  }
  function human(v, base) {
    if (v == null || typeof v !== "number" || !isFinite(v)) return "-";
    base = base || "1";
    let sc = null;
    let suffix = "";
    if (base === "ns" || base === "B") sc = SCALES[base];
    else if (base === "B/s") (sc = SCALES.B), (suffix = "/s");
    else if (base === "1/s") (sc = SCALES["1/s"]), (suffix = "/s");
    if (sc) {
      const a = Math.abs(v);
      let i = 0;
      while (i + 1 < sc.length && a < sc[i][0] * 0.9995) i++;
      return fmtNum(v / sc[i][0], sc[i][1], suffix);
    }
    const g = Number(v.toPrecision(6)).toString();
    return base === "1" ? g : g + " " + base;
  }
  function pct(v, digits) {
    if (v == null || !isFinite(v)) return "-";
    return (v > 0 ? "+" : "") + v.toFixed(digits == null ? 2 : digits) + "%";
  }
  function pval(p) {
    if (p == null || !isFinite(p)) return "-";
    if (p === 0) return "0";
    if (p < 1e-4) return p.toExponential(1);
    return p.toPrecision(4);
  }
  function when(t) {
    if (!t) return "-";
    const m = /^(\d{4}-\d\d-\d\d)T(\d\d:\d\d:\d\d)/.exec(t);
    return m ? m[1] + " " + m[2] : t;
  }
  function shortCommit(c) {
    return c ? String(c).slice(0, 12) : "-";
  }
  function qs(params) {
    const u = new URLSearchParams();
    for (const k of Object.keys(params)) {
      const v = params[k];
      if (v != null && v !== "") u.set(k, String(v));
    }
    const s = u.toString();
    return s ? "?" + s : "";
  }
  function link(route, params, text, attrs) {
    return h("a", Object.assign({ href: "#/" + route + qs(params || {}) }, attrs || {}), text);
  }
  function table(cls, head, rows) {
    return h("table", { class: cls }, h("thead", null, h("tr", null, head)), h("tbody", null, rows));
  }
  function th(text, attrs) {
    return h("th", attrs, text);
  }
  function td(text, attrs) {
    return h("td", attrs, text);
  }
  function num(text, attrs) {
    return h("td", Object.assign({ class: "num" }, attrs || {}), text);
  }
  function errorBox(e) {
    const msg = e && e.message ? e.message : String(e);
    return h("div", { class: "error", role: "alert" }, msg);
  }
  function badge(text, cls) {
    return h("span", { class: "badge " + (cls || "") }, text);
  }

  // ---------------------------------------------------------------- API

  const tokenInput = document.getElementById("token");
  tokenInput.value = sessionStorage.getItem("qbdb.token") || "";
  tokenInput.addEventListener("input", () => {
    const t = tokenInput.value.trim();
    if (t) sessionStorage.setItem("qbdb.token", t);
    else sessionStorage.removeItem("qbdb.token");
  });

  class ApiError extends Error {
    constructor(status, code, message) {
      super(message);
      this.status = status;
      this.code = code;
    }
  }

  // api("runs", {project: "x"}) -> parsed JSON; throws ApiError with the server's message.
  async function api(path, params, init) {
    const headers = { Accept: "application/json" };
    const token = tokenInput.value.trim();
    if (token) headers.Authorization = "Bearer " + token;
    const opts = Object.assign({ headers }, init || {});
    if (opts.json !== undefined) {
      headers["Content-Type"] = "application/json";
      opts.body = JSON.stringify(opts.json);
      delete opts.json;
    }
    let res;
    try {
      res = await fetch("api/v1/" + path + qs(params || {}), opts);
    } catch (e) {
      throw new ApiError(0, "network", "cannot reach the qbdb server: " + e.message);
    }
    const text = await res.text();
    let body = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch (e) {
      if (res.ok) throw new ApiError(res.status, "bad_json", "the server sent invalid JSON");
    }
    if (!res.ok) {
      const err = body && body.error ? body.error : {};
      const msg = err.message || text || res.statusText;
      throw new ApiError(res.status, err.code || "http_" + res.status, res.status + " " + (err.code || "") + ": " + msg);
    }
    return body;
  }

  let projectsCache = null;
  async function projects() {
    if (!projectsCache) {
      try {
        projectsCache = (await api("projects")) || [];
      } catch (e) {
        projectsCache = null;
        throw e;
      }
    }
    return projectsCache;
  }
  function projectSelect(current, onChange) {
    const sel = h("select", { id: "project", "aria-label": "project" }, h("option", { value: "" }, "all projects"));
    projects()
      .then((list) => {
        for (const p of list) {
          const o = h("option", { value: p.name }, p.name + " (" + p.runs + " runs)");
          if (p.name === current) o.selected = true;
          sel.appendChild(o);
        }
        if (current && !list.some((p) => p.name === current)) sel.appendChild(h("option", { value: current, selected: true }, current));
      })
      .catch(() => {
        if (current) sel.appendChild(h("option", { value: current, selected: true }, current));
      });
    sel.addEventListener("change", () => onChange(sel.value));
    return sel;
  }

  // ---------------------------------------------------------------- router

  const view = document.getElementById("view");
  let renderSeq = 0;
  let cleanup = [];

  function parseHash() {
    const raw = location.hash.replace(/^#\/?/, "");
    const q = raw.indexOf("?");
    const path = (q < 0 ? raw : raw.slice(0, q)).split("/").filter(Boolean).map(decodeURIComponent);
    const params = new URLSearchParams(q < 0 ? "" : raw.slice(q + 1));
    return { path, params };
  }
  function go(route, params) {
    location.hash = "#/" + route + qs(params || {});
  }

  const routes = { runs: viewRuns, run: viewRun, compare: viewCompare, trend: viewTrend, regressions: viewRegressions };

  async function render() {
    const seq = ++renderSeq;
    cleanup.forEach((f) => f());
    cleanup = [];
    const { path, params } = parseHash();
    const name = routes[path[0]] ? path[0] : "runs";
    document.querySelectorAll("nav a").forEach((a) => a.classList.toggle("active", a.dataset.nav === name));
    const root = h("div", { class: "view view-" + name });
    view.replaceChildren(h("p", { class: "muted" }, "Loading…"));
    const ctx = { seq, current: () => seq === renderSeq };
    try {
      await routes[name](root, path.slice(1), params, ctx);
    } catch (e) {
      if (!ctx.current()) return;
      root.appendChild(errorBox(e));
      if (e.status === 401)
        root.appendChild(h("p", { class: "hint muted", id: "need-token" }, "This server needs a token for reading: type one in the API token field (top right)."));
    }
    if (!ctx.current()) return;
    view.replaceChildren(root);
    view.dataset.view = name;
    document.body.dataset.ready = name + ":" + seq;
    if (root._mounted) root._mounted();
  }
  window.addEventListener("hashchange", render);
  // a token typed after a 401 on a read: try again with it
  tokenInput.addEventListener("change", () => {
    if (document.getElementById("need-token")) render();
  });

  // ---------------------------------------------------------------- runs list

  async function viewRuns(root, _path, params, ctx) {
    const project = params.get("project") || "";
    const limit = params.get("limit") || "50";
    document.title = "qbdb: runs";
    const pick = { base: params.get("base") || null, head: params.get("head") || null };

    const compareBtn = h("button", { type: "button", id: "compare-btn", disabled: true }, "Compare");
    const pickInfo = h("span", { class: "muted", id: "pick-info" });
    function updatePick() {
      compareBtn.disabled = !(pick.base && pick.head && pick.base !== pick.head);
      pickInfo.textContent =
        "base: " + (pick.base ? "run " + pick.base : "—") + ", head: " + (pick.head ? "run " + pick.head : "—");
    }
    compareBtn.addEventListener("click", () => go("compare", { base: pick.base, head: pick.head }));

    root.appendChild(
      h("div", { class: "toolbar" },
        h("h1", null, "Runs"),
        h("label", null, "Project ", projectSelect(project, (p) => go("runs", { project: p }))),
        h("span", { class: "spacer" }),
        pickInfo,
        compareBtn)
    );
    root.appendChild(h("p", { class: "hint muted" }, "Pick a base and a head run (the radio buttons), then Compare."));

    const tbody = h("tbody");
    const tbl = h("table", { class: "data runs", id: "runs-table" },
      h("thead", null, h("tr", null, [
        th("base"), th("head"), th("id", { class: "num" }), th("started"), th("project"), th("branch"),
        th("commit"), th("machine"), th("format"), th("benchmarks", { class: "num" }),
        th("samples", { class: "num" }), th("tags"),
      ])),
      tbody);
    const more = h("button", { type: "button", id: "more", hidden: true }, "More runs");
    root.appendChild(tbl);
    root.appendChild(more);
    let cursor = null;

    function addRows(runs) {
      for (const r of runs) {
        const id = String(r.id);
        const base = h("input", { type: "radio", name: "base", value: id, "aria-label": "base run " + id });
        const head = h("input", { type: "radio", name: "head", value: id, "aria-label": "head run " + id });
        if (pick.base === id) base.checked = true;
        if (pick.head === id) head.checked = true;
        base.addEventListener("change", () => ((pick.base = id), updatePick()));
        head.addEventListener("change", () => ((pick.head = id), updatePick()));
        const tags = Object.keys(r.tags || {}).map((k) => badge(k + "=" + r.tags[k], "tag"));
        tbody.appendChild(
          h("tr", { dataset: { run: id, commit: r.commit || "" } },
            td(base), td(head),
            num(link("run/" + id, null, "#" + id)),
            td(when(r.started_at)),
            td(link("runs", { project: r.project }, r.project)),
            td(r.branch), td(h("code", null, shortCommit(r.commit))), td(r.machine),
            td(r.format), num(r.n_benchmarks), num(r.n_samples), td(tags))
        );
      }
    }
    async function load() {
      const q = { project, limit };
      if (cursor) q.cursor = cursor;
      const ans = await api("runs", q);
      const runs = Array.isArray(ans) ? ans : ans.runs || [];
      cursor = Array.isArray(ans) ? null : ans.next_cursor || null;
      addRows(runs);
      more.hidden = !cursor;
      if (!tbody.children.length)
        tbody.appendChild(h("tr", null, h("td", { colspan: 12, class: "muted" }, "No runs stored" + (project ? " in project " + project : "") + ".")));
    }
    more.addEventListener("click", () => {
      more.disabled = true;
      load().catch((e) => root.appendChild(errorBox(e))).finally(() => (more.disabled = false));
    });
    await load();
    if (!ctx.current()) return;
    updatePick();
  }

  // ---------------------------------------------------------------- one run

  const STAT_COLS = ["min", "median", "mean", "stddev", "max", "p95", "p99"];

  async function viewRun(root, path, _params, ctx) {
    const id = path[0];
    if (!id) throw new Error("no run given");
    document.title = "qbdb: run " + id;
    const run = await api("runs/" + encodeURIComponent(id));
    if (!ctx.current()) return;
    const [gradeR] = await Promise.allSettled([api("runs/" + encodeURIComponent(run.id) + "/grade")]);
    const grade = gradeR.status === "fulfilled" ? gradeR.value : null;
    // Targets: compare's rows carry {"target": {op, value, met}}; compared with the baseline when
    // there is one (or the run with itself), the head values are this run's.
    const base = grade && grade.baseline_id != null ? grade.baseline_id : run.id;
    const [cmpR] = await Promise.allSettled([api("compare", { base, head: run.id })]);
    if (!ctx.current()) return;

    root.appendChild(h("div", { class: "toolbar" },
      h("h1", null, "Run #" + run.id),
      h("span", { class: "muted" }, run.project + " · " + run.branch + " @ " + shortCommit(run.commit)),
      h("span", { class: "spacer" }),
      grade && grade.baseline_id != null
        ? link("compare", { base: grade.baseline_id, head: run.id }, "compare with the previous run (#" + grade.baseline_id + ")", { class: "button", id: "cmp-prev" })
        : null));

    const meta = [
      ["project", link("runs", { project: run.project }, run.project)],
      ["branch", run.branch], ["commit", h("code", null, run.commit || "-")], ["machine", run.machine],
      ["format", run.format + (run.tool_version ? " (" + run.tool_version + ")" : "")],
      ["started", when(run.started_at)], ["ingested", when(run.ingested_at)],
      ["commit time", when(run.commit_time)],
      ["size", run.n_benchmarks + " benchmarks, " + run.n_results + " results, " + run.n_samples + " raw samples"],
    ];
    const tagKeys = Object.keys(run.tags || {});
    if (tagKeys.length) meta.push(["tags", tagKeys.map((k) => badge(k + "=" + run.tags[k], "tag"))]);
    const dl = h("dl", { class: "meta" });
    for (const [k, v] of meta) dl.append(h("dt", null, k), h("dd", null, v));

    const side = h("div", { class: "side" });
    if (grade) {
      const c = grade.components || {};
      const comp = (name) => (c[name] == null ? "n/a" : Math.round(c[name]));
      side.appendChild(h("section", { class: "grade", id: "grade" },
        h("div", { class: "letter grade-" + String(grade.letter).replace("+", "p") }, grade.letter),
        h("div", null,
          h("div", { class: "score" }, "score " + (grade.score == null ? "-" : Math.round(grade.score)) + " / 100"),
          table("mini", [th("regressions"), th("targets"), th("stability"), th("coverage")],
            h("tr", null, num(comp("regressions")), num(comp("targets")), num(comp("stability")), num(comp("coverage")))),
          h("div", { class: "muted small" },
            grade.baseline_id != null ? "against run #" + grade.baseline_id : "no baseline run"))));
    } else {
      side.appendChild(h("section", { class: "grade" }, h("span", { class: "muted" }, "no grade: " + (gradeR.reason && gradeR.reason.message))));
    }

    const broken = h("section", { class: "targets", id: "targets" }, h("h2", null, "Targets"));
    if (cmpR.status === "fulfilled") {
      const rows = (cmpR.value.rows || []).filter((r) => r.target);
      const bad = rows.filter((r) => r.target.met === false);
      if (!rows.length) broken.appendChild(h("p", { class: "muted" }, "No target applies to this run."));
      else if (!bad.length) broken.appendChild(h("p", { class: "ok" }, "All " + rows.length + " applicable targets met."));
      else {
        broken.appendChild(h("p", { class: "bad" }, bad.length + " of " + rows.length + " targets broken:"));
        broken.appendChild(h("ul", { class: "broken" }, bad.map((r) =>
          h("li", { dataset: { benchmark: r.benchmark } },
            h("strong", null, r.benchmark), " " + r.metric + " is " + human(r.head && r.head.centre, r.unit) +
            ", target " + r.target.op + " " + human(r.target.value, r.unit)))));
      }
    } else {
      broken.appendChild(h("p", { class: "muted" }, "targets unknown: " + cmpR.reason.message));
    }
    side.appendChild(broken);
    root.appendChild(h("div", { class: "columns" }, dl, side));

    root.appendChild(h("h2", null, "Benchmarks"));
    const rows = [];
    for (const b of run.benchmarks || []) {
      const results = b.results || [];
      results.forEach((r, i) => {
        const trendQ = { project: run.project, benchmark: b.name, metric: r.metric, branch: run.branch, machine: run.machine };
        rows.push(h("tr", { dataset: { benchmark: b.name, metric: r.metric } },
          i === 0 ? h("td", { rowspan: results.length, class: "bench" }, link("trend", trendQ, b.name, { title: "trend of " + b.name }),
            b.params ? h("div", { class: "muted small" }, JSON.stringify(b.params)) : null) : null,
          td(r.metric + (r.direction === "higher" ? " ↑" : "")),
          num(r.n == null ? "-" : r.n),
          STAT_COLS.map((k) => num(human(r[k], r.unit))),
          num(r.estimate == null ? "-" : human(r.estimate, r.unit) + (r.ci_lo != null ? " [" + human(r.ci_lo, r.unit) + ", " + human(r.ci_hi, r.unit) + "]" : ""))));
      });
    }
    root.appendChild(table("data bench", [th("benchmark"), th("metric"), th("n", { class: "num" }),
      STAT_COLS.map((k) => th(k, { class: "num" })), th("estimate [95% CI]", { class: "num" })], rows));
    root.firstChild.setAttribute("data-run", String(run.id));
  }

  // ---------------------------------------------------------------- compare

  const SEV_RANK = { none: 0, minor: 1, moderate: 2, major: 3, critical: 4 };
  const VERDICT_RANK = { regression: 3, removed: 2, added: 1, improvement: 0, unchanged: -1 };

  function sideText(s, unit) {
    if (!s) return "-";
    const c = s.centre != null ? s.centre : s.median != null ? s.median : s.mean;
    let t = human(c, unit);
    if (c && s.ci_low != null && s.ci_high != null) t += " ± " + (((s.ci_high - s.ci_low) / 2 / Math.abs(c)) * 100).toFixed(1) + "%";
    return t;
  }
  function sideCentre(s) {
    return s ? (s.centre != null ? s.centre : s.median != null ? s.median : s.mean) : null;
  }
  function verdictText(r) {
    if (r.verdict === "regression" || r.verdict === "improvement") return r.verdict + " (" + r.severity + ")";
    if (r.verdict === "unchanged") return "~";
    return r.verdict;
  }

  const COMPARE_COLS = [
    { key: "benchmark", label: "benchmark", get: (r) => r.benchmark },
    { key: "metric", label: "metric", get: (r) => r.metric },
    { key: "base", label: "base", num: true, get: (r) => sideCentre(r.base) },
    { key: "head", label: "head", num: true, get: (r) => sideCentre(r.head) },
    { key: "change", label: "change", num: true, get: (r) => r.change_pct },
    { key: "p", label: "p", num: true, get: (r) => r.p_value },
    { key: "padj", label: "p adj", num: true, get: (r) => r.p_adjusted },
    { key: "noise", label: "noise", num: true, get: (r) => r.noise_pct },
    { key: "verdict", label: "verdict", get: (r) => (VERDICT_RANK[r.verdict] || 0) * 10 + (SEV_RANK[r.severity] || 0) },
  ];

  async function viewCompare(root, _path, params, ctx) {
    const base = params.get("base");
    const head = params.get("head");
    document.title = "qbdb: compare";
    if (!base || !head) {
      root.append(h("h1", null, "Compare"),
        h("p", null, "Pick a base and a head run in the ", link("runs", null, "runs list"), ", then press Compare."));
      return;
    }
    const q = { base, head };
    for (const k of ["project", "metric", "benchmark", "alpha", "threshold"]) if (params.get(k)) q[k] = params.get(k);
    const c = await api("compare", q);
    if (!ctx.current()) return;
    document.title = "qbdb: compare #" + c.base.id + " → #" + c.head.id;

    const runLabel = (r) => [link("run/" + r.id, null, "#" + r.id), " " + r.branch + " @ ", h("code", null, shortCommit(r.commit)), " · " + when(r.started_at)];
    root.append(h("div", { class: "toolbar" }, h("h1", null, "Compare"),
      h("span", { class: "muted" }, c.base.project)),
      h("dl", { class: "meta compact" },
        h("dt", null, "base"), h("dd", { id: "cmp-base" }, runLabel(c.base)),
        h("dt", null, "head"), h("dd", { id: "cmp-head" }, runLabel(c.head)),
        h("dt", null, "baseline"), h("dd", { id: "cmp-baseline" }, (c.baseline && c.baseline.reason) || "")));

    const s = c.summary || {};
    const plural = (n, word) => n + " " + word + (n === 1 ? "" : "s");
    root.appendChild(h("p", { class: "summary", id: "cmp-summary" },
      badge(plural(s.regressions || 0, "regression"), s.regressions ? "sev-" + (s.worst_regression || "minor") : ""),
      badge(plural(s.improvements || 0, "improvement"), s.improvements ? "improvement" : ""),
      badge((s.unchanged || 0) + " unchanged", ""),
      s.added ? badge(s.added + " added", "added") : null,
      s.removed ? badge(s.removed + " removed", "removed") : null,
      " geomean " + (s.geomean_metric || "") + " " + pct(s.geomean_change_pct) +
        " · alpha " + c.alpha + ", threshold " + c.threshold_pct + "%, " + (c.correction || "") +
        (s.noise_unknown ? " · noise unknown for " + s.noise_unknown + " (only changes of 10% or more count)" : "")));

    const onlyChanged = h("input", { type: "checkbox", id: "only-changed" });
    root.appendChild(h("div", { class: "toolbar" }, h("label", null, onlyChanged, " only changed rows"),
      h("span", { class: "muted small" }, "Click a column header to sort.")));

    const state = { key: null, dir: 1 };
    const heads = COMPARE_COLS.map((col) =>
      h("th", { class: (col.num ? "num " : "") + "sortable", "data-sort": col.key, tabindex: 0, "aria-sort": "none" }, col.label));
    const tbody = h("tbody");
    root.appendChild(h("table", { class: "data compare", id: "compare-table" }, h("thead", null, h("tr", null, heads)), tbody));

    function rowEl(r) {
      const cls = ["verdict-" + r.verdict];
      if (r.verdict === "regression" || r.verdict === "improvement") cls.push("sev-" + r.severity);
      const trendQ = { project: c.head.project, benchmark: r.benchmark, metric: r.metric, branch: c.head.branch, machine: c.head.machine };
      return h("tr", { class: cls.join(" "), dataset: { benchmark: r.benchmark, metric: r.metric, verdict: r.verdict, severity: r.severity } },
        td(link("trend", trendQ, r.benchmark)),
        td(r.metric),
        num(sideText(r.base, r.unit)),
        num(sideText(r.head, r.unit)),
        num(pct(r.change_pct), { class: "num change" }),
        num(pval(r.p_value)),
        num(pval(r.p_adjusted)),
        num(r.noise_pct == null ? "-" : "±" + r.noise_pct.toFixed(1) + "%"),
        h("td", { class: "verdict", title: [r.test, r.note].filter(Boolean).join(": ") },
          verdictText(r), r.note ? h("span", { class: "note" }, " " + r.note) : null,
          r.target ? h("span", { class: "muted small" }, " (target " + r.target.op + " " + human(r.target.value, r.unit) + (r.target.met ? " met" : " broken") + ")") : null));
    }
    function fill() {
      let rows = (c.rows || []).slice();
      if (onlyChanged.checked) rows = rows.filter((r) => r.verdict !== "unchanged");
      if (state.key) {
        const col = COMPARE_COLS.find((x) => x.key === state.key);
        rows = rows
          .map((r, i) => ({ r, i, v: col.get(r) }))
          .sort((a, b) => {
            const an = a.v == null, bn = b.v == null;
            if (an || bn) return an === bn ? a.i - b.i : an ? 1 : -1; // unknowns last
            let d = typeof a.v === "string" ? a.v.localeCompare(b.v) : a.v - b.v;
            return d ? d * state.dir : a.i - b.i;
          })
          .map((x) => x.r);
      }
      heads.forEach((el) => {
        const on = el.dataset.sort === state.key;
        el.setAttribute("aria-sort", on ? (state.dir > 0 ? "ascending" : "descending") : "none");
        el.classList.toggle("sorted", on);
      });
      tbody.replaceChildren(...rows.map(rowEl));
      if (!rows.length) tbody.appendChild(h("tr", null, h("td", { colspan: COMPARE_COLS.length, class: "muted" }, "No rows.")));
    }
    function sortBy(key) {
      if (state.key === key) state.dir = -state.dir;
      else {
        state.key = key;
        const col = COMPARE_COLS.find((x) => x.key === key);
        state.dir = col.num || key === "verdict" ? -1 : 1; // numbers: largest first
      }
      fill();
    }
    heads.forEach((el) => {
      el.addEventListener("click", () => sortBy(el.dataset.sort));
      el.addEventListener("keydown", (e) => {
        if (e.key === "Enter" || e.key === " ") (e.preventDefault(), sortBy(el.dataset.sort));
      });
    });
    onlyChanged.addEventListener("change", fill);
    fill();
  }

  // ---------------------------------------------------------------- trend

  async function viewTrend(root, _path, params, ctx) {
    const project = params.get("project") || "";
    const benchmark = params.get("benchmark");
    document.title = "qbdb: trend";
    if (!benchmark) {
      root.appendChild(h("div", { class: "toolbar" }, h("h1", null, "Trends"),
        h("label", null, "Project ", projectSelect(project, (p) => go("trend", { project: p })))));
      const list = await api("benchmarks", { project });
      if (!ctx.current()) return;
      const rows = (list || []).map((b) => {
        const proj = b.project || project;
        const metrics = (b.metrics || []).map((m) => (typeof m === "string" ? m : m.name));
        return h("tr", { dataset: { benchmark: b.name } }, td(b.name), td(proj || ""),
          td(metrics.map((m) => [link("trend", { project: proj, benchmark: b.name, metric: m }, m), " "])));
      });
      root.appendChild(table("data", [th("benchmark"), th("project"), th("metrics (trend)")], rows.length ? rows : h("tr", null, h("td", { colspan: 3, class: "muted" }, "No benchmarks."))));
      return;
    }
    const q = {};
    for (const k of ["project", "benchmark", "metric", "branch", "machine"]) if (params.get(k)) q[k] = params.get(k);
    const t = await api("trend", q);
    if (!ctx.current()) return;
    document.title = "qbdb: trend " + t.benchmark;
    const tr = t.trend || {};
    root.appendChild(h("div", { class: "toolbar" },
      h("h1", null, t.benchmark),
      h("span", { class: "muted" }, t.metric + " · " + t.project + " · " + t.branch + " · " + t.machine + (t.direction === "higher" ? " · higher is better" : " · lower is better"))));
    const logBox = h("input", { type: "checkbox", id: "log-scale" });
    if (params.get("log") === "1") logBox.checked = true;
    root.appendChild(h("div", { class: "toolbar" },
      h("label", null, logBox, " log scale"),
      h("span", { class: "muted", id: "trend-summary" },
        "last segment: " + (tr.direction || "-") +
          (tr.strength != null ? " (strength " + tr.strength.toFixed(2) + ")" : "") +
          (tr.slope_pct_per_run != null ? ", slope " + pct(tr.slope_pct_per_run) + "/run" : "") +
          (tr.noise_pct != null ? ", noise ±" + tr.noise_pct.toFixed(2) + "%" : "") +
          " · " + (t.change_points || []).length + " change point(s)" +
          " · " + (t.drifts || []).length + " drift(s)")));

    const chartBox = h("div", { class: "chart", id: "trend-chart" });
    root.appendChild(chartBox);

    const points = t.points || [];
    const cps = t.change_points || [];
    const cpRuns = new Set(cps.map((c) => c.run_id));
    root.appendChild(h("h2", null, "Change points"));
    root.appendChild(cps.length
      ? table("data", [th("first run after"), th("before", { class: "num" }), th("after", { class: "num" }), th("change", { class: "num" }), th("p", { class: "num" })],
          cps.map((c) => {
            const i = points.findIndex((p) => p.run_id === c.run_id);
            const prev = i > 0 ? points[i - 1].run_id : null;
            return h("tr", { class: "cp-row" },
              td([link("run/" + c.run_id, null, "#" + c.run_id), prev != null ? [" (", link("compare", { base: prev, head: c.run_id }, "compare with #" + prev), ")"] : null]),
              num(human(c.before, t.unit)), num(human(c.after, t.unit)), num(pct(c.change_pct)), num(pval(c.p_value)));
          }))
      : h("p", { class: "muted" }, "No change point found in this series."));

    // smooth drifts between change points: one record each, not a staircase of small steps
    const drifts = t.drifts || [];
    if (drifts.length) {
      root.appendChild(h("h2", null, "Drifts"));
      root.appendChild(table("data drifts", [th("runs"), th("from", { class: "num" }), th("to", { class: "num" }), th("change", { class: "num" }), th("p", { class: "num" })],
        drifts.map((d) => h("tr", { class: "drift-row" },
          td([link("run/" + d.from_run_id, null, "#" + d.from_run_id), " – ", link("run/" + d.to_run_id, null, "#" + d.to_run_id), " (" + d.runs + " runs; ", link("compare", { base: d.from_run_id, head: d.to_run_id }, "compare"), ")"]),
          num(human(d.before, t.unit)), num(human(d.after, t.unit)), num(pct(d.change_pct)), num(pval(d.p_value))))));
    }

    root.appendChild(h("h2", null, "Runs"));
    root.appendChild(table("data points", [th("run"), th("commit"), th("time"), th("value", { class: "num" }), th("95% CI", { class: "num" }), th("n", { class: "num" })],
      points.slice().reverse().map((p) =>
        h("tr", { class: cpRuns.has(p.run_id) ? "cp" : "" },
          td(link("run/" + p.run_id, null, "#" + p.run_id)), td(h("code", null, shortCommit(p.commit))), td(when(p.time)),
          num(human(p.value, t.unit) + (cpRuns.has(p.run_id) ? " ◆" : "")),
          num(p.ci_low != null ? human(p.ci_low, t.unit) + " – " + human(p.ci_high, t.unit) : "-"), num(p.n == null ? "-" : p.n)))));

    let chart = null;
    function build() {
      if (chart) chart.destroy();
      chart = trendChart(chartBox, t, logBox.checked);
    }
    logBox.addEventListener("change", build);
    const onResize = () => chart && chart.setSize(chartSize(chartBox));
    window.addEventListener("resize", onResize);
    cleanup.push(() => {
      window.removeEventListener("resize", onResize);
      if (chart) chart.destroy();
      chart = null;
    });
    root._mounted = build; // uPlot measures its box: build once the view is in the document
  }

  // x ticks of a series that spans days: whole days, labelled by date (the browser's time zone,
  // as uPlot places its ticks)
  const DAY = 86400;
  const DAY_INCRS = [1, 2, 7, 14, 30, 61, 91, 182, 365, 730].map((d) => d * DAY);
  function dayLabel(s) {
    const d = new Date(s * 1000);
    return d.getFullYear() + "-" + String(d.getMonth() + 1).padStart(2, "0") + "-" + String(d.getDate()).padStart(2, "0");
  }

  function chartSize(box) {
    return { width: Math.max(320, box.clientWidth || 800), height: 340 };
  }

  // The trend chart: uPlot line of the series; change points are DOM markers (div.cp-marker)
  // in uPlot's overlay, so that they can be hovered, read by screen readers and counted.
  function trendChart(box, t, log) {
    box.replaceChildren();
    const pts = t.points || [];
    let xs = pts.map((p) => Date.parse(p.time) / 1000);
    const byTime = xs.every((x, i) => isFinite(x) && (i === 0 || x > xs[i - 1]));
    if (!byTime) xs = pts.map((_p, i) => i + 1);
    const ys = pts.map((p) => (p.value == null || (log && p.value <= 0) ? null : p.value));
    const lo = pts.map((p) => (p.ci_low == null || (log && p.ci_low <= 0) ? null : p.ci_low));
    const hi = pts.map((p) => (p.ci_high == null || (log && p.ci_high <= 0) ? null : p.ci_high));
    const hasCi = lo.some((v) => v != null);
    const unit = t.unit;
    box.dataset.scale = log ? "log" : "linear";

    const tip = h("div", { class: "chart-tip", hidden: true });
    // the change happens between the last run before it and the first after it: mark halfway
    function placeMarkers(u) {
      u.over.querySelectorAll(".cp-marker").forEach((m) => {
        const i = xs.indexOf(m._x);
        const x = i > 0 ? (u.valToPos(xs[i - 1], "x") + u.valToPos(xs[i], "x")) / 2 : u.valToPos(m._x, "x");
        m.style.left = x + "px";
      });
    }
    const series = [
      {
        label: byTime ? "time" : "run",
        value: (_u, v, _si, idx) => (idx == null || !pts[idx] ? "-" : "#" + pts[idx].run_id + " " + shortCommit(pts[idx].commit) + " " + when(pts[idx].time)),
      },
      {
        label: t.metric,
        stroke: "#2563eb",
        width: 2,
        points: { show: true, size: 6, fill: "#2563eb" },
        value: (_u, v) => human(v, unit),
      },
    ];
    const data = [xs, ys];
    // each drift (a smooth change between change points, reported once): a dashed line from its
    // level at its first run to its level at its last
    let nDrifts = 0;
    for (const d of t.drifts || []) {
      const i0 = pts.findIndex((p) => p.run_id === d.from_run_id);
      const i1 = pts.findIndex((p) => p.run_id === d.to_run_id);
      if (i0 < 0 || i1 <= i0) continue;
      const arr = pts.map(() => null);
      arr[i0] = log && !(d.before > 0) ? null : d.before;
      arr[i1] = log && !(d.after > 0) ? null : d.after;
      series.push({
        label: "drift #" + d.from_run_id + "–#" + d.to_run_id + " (" + pct(d.change_pct) + ")",
        stroke: "#ea580c", width: 2, dash: [8, 4], spanGaps: true, points: { show: false },
        value: (_u, v) => (v == null ? "-" : human(v, unit)),
      });
      data.push(arr);
      nDrifts++;
    }
    box.dataset.drifts = String(nDrifts);
    if (hasCi) {
      for (const [name, arr] of [["95% CI low", lo], ["95% CI high", hi]]) {
        series.push({ label: name, stroke: "#93c5fd", width: 1, dash: [4, 4], points: { show: false }, value: (_u, v) => human(v, unit) });
        data.push(arr);
      }
    }
    const opts = Object.assign(chartSize(box), {
      class: "trend-uplot",
      // log: fit the data (uPlot would widen the range to whole decades)
      scales: {
        x: { time: byTime },
        y: log ? { distr: 3, log: 10, range: (_u, min, max) => [min / 1.05, max * 1.05] } : { auto: true },
      },
      axes: [
        byTime && xs[xs.length - 1] - xs[0] >= 3 * DAY
          ? { stroke: "#555", incrs: DAY_INCRS, space: 50, values: (_u, splits) => splits.map(dayLabel) }
          : byTime
          ? { stroke: "#555" }
          : { stroke: "#555", values: (_u, splits) => splits.map((s) => (Number.isInteger(s) && pts[s - 1] ? "#" + pts[s - 1].run_id : "")) },
        {
          stroke: "#555",
          size: 84,
          values: (_u, splits) => splits.map((s) => (s == null ? "" : human(s, unit))),
          // log: evenly spaced ticks (uPlot's sit on 1-2-5 decades, too few for a narrow range)
          splits: log ? (_u, _i, min, max) => Array.from({ length: 7 }, (_x, k) => min * Math.pow(max / min, k / 6)) : undefined,
        },
      ],
      series,
      cursor: { points: { size: 9 } },
      legend: { show: true, live: true },
      hooks: {
        ready: [
          (u) => {
            u.over.appendChild(tip);
            for (const c of t.change_points || []) {
              const i = pts.findIndex((p) => p.run_id === c.run_id);
              if (i < 0) continue;
              const m = h("div", {
                class: "cp-marker", "data-run": c.run_id, role: "img",
                "aria-label": "change point at run " + c.run_id + ": " + pct(c.change_pct),
                title: "change point at run #" + c.run_id + ": " + human(c.before, unit) + " → " + human(c.after, unit) + " (" + pct(c.change_pct) + ", p " + pval(c.p_value) + ")",
              }, h("span", { class: "cp-label" }, pct(c.change_pct, 1)));
              m._x = xs[i];
              u.over.appendChild(m);
            }
            placeMarkers(u);
          },
        ],
        draw: [placeMarkers],
        setCursor: [
          (u) => {
            const i = u.cursor.idx;
            if (i == null || u.cursor.left < 0 || !pts[i]) {
              tip.hidden = true;
              return;
            }
            const p = pts[i];
            tip.textContent = human(p.value, unit) + " · #" + p.run_id + " " + shortCommit(p.commit);
            tip.hidden = false;
            const x = u.valToPos(xs[i], "x");
            const y = ys[i] == null ? 0 : u.valToPos(ys[i], "y");
            tip.style.left = Math.min(x + 10, u.over.clientWidth - 160) + "px";
            tip.style.top = Math.max(y - 30, 0) + "px";
          },
        ],
      },
    });
    const u = new uPlot(opts, data, box);
    box._uplot = u;
    return u;
  }

  // ---------------------------------------------------------------- regressions

  const STATUSES = ["open", "acknowledged", "invalid", "fixed"];

  async function viewRegressions(root, _path, params, ctx) {
    const project = params.get("project") || "";
    const status = params.get("status") || "";
    const minSev = params.get("min_severity") || "";
    const all = params.get("all") === "1";
    document.title = "qbdb: regressions";
    const statusSel = h("select", { id: "status", "aria-label": "status" },
      h("option", { value: "" }, "open (default)"), STATUSES.map((s) => h("option", { value: s }, s)));
    statusSel.value = status;
    const sevSel = h("select", { id: "min-severity", "aria-label": "minimum severity" },
      h("option", { value: "" }, "minor and worse"), ["none", "minor", "moderate", "major", "critical"].map((s) => h("option", { value: s }, s + "+")));
    sevSel.value = minSev;
    const allBox = h("input", { type: "checkbox", id: "all" });
    allBox.checked = all;
    const nav = (over) => go("regressions", Object.assign({ project, status, min_severity: minSev, all: all ? 1 : "" }, over));
    statusSel.addEventListener("change", () => nav({ status: statusSel.value }));
    sevSel.addEventListener("change", () => nav({ min_severity: sevSel.value }));
    allBox.addEventListener("change", () => nav({ all: allBox.checked ? 1 : "" }));
    root.appendChild(h("div", { class: "toolbar" }, h("h1", null, "Regressions"),
      h("label", null, "Project ", projectSelect(project, (p) => nav({ project: p }))),
      h("label", null, "Status ", statusSel), h("label", null, "Severity ", sevSel),
      h("label", null, allBox, " every record")));
    const msg = h("div", { id: "triage-msg", role: "status" });
    root.appendChild(h("p", { class: "hint muted" },
      "Triage needs a write or admin token in the API token field (top right); it is sent as Authorization: Bearer."));
    root.appendChild(msg);

    const q = { project, status, min_severity: minSev };
    if (all) q.all = "true";
    const list = await api("regressions", q);
    if (!ctx.current()) return;

    const tbody = h("tbody");
    function rowEl(g) {
      const note = h("input", { type: "text", class: "note-input", placeholder: "note", "aria-label": "note for regression " + g.id, value: g.note || "" });
      const trendQ = { project: g.project, benchmark: g.benchmark, metric: g.metric, branch: g.branch, machine: g.machine };
      const buttons = ["acknowledged", "invalid", "fixed"].concat(g.status !== "open" ? ["open"] : []).map((s) =>
        h("button", { type: "button", class: "triage", "data-status": s, disabled: g.status === s, onclick: () => triage(g, s, note.value, tr) }, s === "open" ? "reopen" : s));
      const tr = h("tr", { class: "kind-" + g.kind + " sev-" + g.severity + " status-" + g.status, dataset: { id: g.id, benchmark: g.benchmark, status: g.status } },
        num("#" + g.id),
        td([badge(g.kind + " (" + g.severity + ")", g.kind === "improvement" ? "improvement" : "sev-" + g.severity),
          h("div", null, badge(g.status, "status status-" + g.status), g.active === false ? badge("gone", "gone") : null)]),
        td([link("trend", trendQ, g.benchmark), h("div", { class: "muted small" }, g.metric)]),
        td(g.project + " · " + g.branch + " · " + g.machine, { class: "nowrap" }),
        td([g.prev_run_id != null
          ? link("compare", { base: g.prev_run_id, head: g.run_id }, shortCommit(g.prev_commit) + ".." + shortCommit(g.commit), { title: "compare run #" + g.prev_run_id + " with #" + g.run_id })
          : link("run/" + g.run_id, null, shortCommit(g.commit)),
          h("div", { class: "muted small", title: g.time }, when(g.time).slice(0, 10))], { class: "nowrap" }),
        num(human(g.before, g.unit) + " → " + human(g.after, g.unit)),
        num(pct(g.change_pct)),
        num(pval(g.p_value)),
        td([note, g.triaged_by ? h("div", { class: "muted small", title: g.triaged_at }, "by " + g.triaged_by + " " + when(g.triaged_at).slice(0, 10)) : null]),
        h("td", { class: "actions" }, buttons));
      return tr;
    }
    async function triage(g, st, note, tr) {
      msg.replaceChildren();
      if (!tokenInput.value.trim()) {
        msg.appendChild(errorBox("Type a token in the API token field first (qbdb token create --scope admin)."));
        tokenInput.focus();
        return;
      }
      tr.querySelectorAll("button").forEach((b) => (b.disabled = true));
      const body = { status: st };
      if (note.trim() !== "" || g.note) body.note = note.trim();
      try {
        const upd = await api("regressions/" + encodeURIComponent(g.id), null, { method: "PATCH", json: body });
        const rec = upd && upd.id != null ? upd : Object.assign({}, g, body);
        const fresh = rowEl(rec);
        tr.replaceWith(fresh);
        msg.appendChild(h("div", { class: "ok" }, "Regression #" + rec.id + " is now " + rec.status + "."));
      } catch (e) {
        tr.querySelectorAll("button").forEach((b) => (b.disabled = b.dataset.status === g.status));
        msg.appendChild(errorBox(e));
      }
    }
    for (const g of list || []) tbody.appendChild(rowEl(g));
    if (!tbody.children.length) tbody.appendChild(h("tr", null, h("td", { colspan: 10, class: "muted" }, "No regressions match.")));
    root.appendChild(h("table", { class: "data regressions", id: "regressions-table" },
      h("thead", null, h("tr", null, th("id", { class: "num" }), th("kind, status"), th("benchmark"),
        th("series"), th("commits"), th("before → after", { class: "num" }), th("change", { class: "num" }), th("p", { class: "num" }),
        th("note"), th("triage"))),
      tbody));
  }

  // ---------------------------------------------------------------- start

  api("health")
    .then((v) => (document.getElementById("version").textContent = "qbdb " + (v.version || "") + " · schema " + (v.schema_version || "")))
    .catch(() => {});
  if (!location.hash) history.replaceState(null, "", "#/runs");
  render();

  // for the browser test and the console: formatting helpers
  window.qbdb = { human, pct, pval };
})();
