// qbdb web page: plain JavaScript over the JSON API (docs/api/README.md), no framework.
// Every string from the API reaches the page through textContent or an attribute set with
// setAttribute (see h()), never through innerHTML, so nothing from the database is parsed as HTML.
"use strict";

(function () {
  performance.mark("qbdb:start");
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
    // a count (instructions, cycles) from 10000 up: "123.5 K", "1.235 M" (no unit word: the
    // metric beside it names what is counted)
    else if (base === "1" && Math.abs(v) >= 1e4) sc = SCALES["1/s"].slice(0, 4);
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
  // The one date format of the page: ISO 8601 in UTC, "2026-10-01 12:00Z" (seconds only when
  // there are some), whatever the browser's locale or time zone. t: an ISO string from the API,
  // or epoch seconds (a chart axis). when() is the same for API strings ("-" when absent).
  function iso(t) {
    if (t == null || t === "") return "-";
    const ms = typeof t === "number" ? t * 1000 : Date.parse(t);
    if (!isFinite(ms)) return String(t);
    const d = new Date(ms);
    const p2 = (n) => String(n).padStart(2, "0");
    let out = isoDay(t) + " " + p2(d.getUTCHours()) + ":" + p2(d.getUTCMinutes());
    if (d.getUTCSeconds()) out += ":" + p2(d.getUTCSeconds());
    return out + "Z";
  }
  // the date alone, "2026-10-01" (UTC)
  function isoDay(t) {
    if (t == null || t === "") return "-";
    const ms = typeof t === "number" ? t * 1000 : Date.parse(t);
    if (!isFinite(ms)) return String(t);
    const d = new Date(ms);
    return d.getUTCFullYear() + "-" + String(d.getUTCMonth() + 1).padStart(2, "0") + "-" + String(d.getUTCDate()).padStart(2, "0");
  }
  const when = iso;
  function shortCommit(c) {
    return c ? String(c).slice(0, 12) : "-";
  }
  // The page's link to a commit: repo_url + "/commit/" + sha, only for an http(s) repo_url (never
  // a javascript: or data: URL) and a sha of 4 to 64 hex digits; null otherwise.
  function commitUrl(repo, sha) {
    if (!repo || !sha || !/^[0-9a-fA-F]{4,64}$/.test(String(sha))) return null;
    let u;
    try {
      u = new URL(String(repo));
    } catch (e) {
      return null;
    }
    if (u.protocol !== "http:" && u.protocol !== "https:") return null;
    return u.href.replace(/\/+$/, "") + "/commit/" + sha;
  }
  // a commit as text: a link to the repository when commitUrl() gives one, else plain code
  function commitEl(repo, sha, text) {
    const label = h("code", null, text == null ? shortCommit(sha) : text);
    const url = commitUrl(repo, sha);
    if (!url) return label;
    return h("a", { href: url, rel: "noopener", target: "_blank", class: "commit-link", title: "commit " + sha }, label);
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
  // svg("path", {d: "M0 0"}, child...): an SVG element (attributes set with setAttribute)
  const SVGNS = "http://www.w3.org/2000/svg";
  function svg(tag, attrs) {
    const el = document.createElementNS(SVGNS, tag);
    if (attrs) for (const k of Object.keys(attrs)) if (attrs[k] != null) el.setAttribute(k, String(attrs[k]));
    for (let i = 2; i < arguments.length; i++) append(el, arguments[i]);
    return el;
  }
  function uniq(arr) {
    return Array.from(new Set(arr));
  }
  const SEVERITIES = ["critical", "major", "moderate", "minor"];

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
  // uPlot (web/vendor), loaded when a view first draws a chart: the dashboard, whose sparklines
  // are SVG, does not wait for it
  let uplotLoading = null;
  function needUplot() {
    if (window.uPlot) return Promise.resolve();
    if (!uplotLoading)
      uplotLoading = new Promise((resolve, reject) => {
        const el = h("script", { src: "vendor/uPlot.iife.min.js" });
        el.addEventListener("load", () => resolve());
        el.addEventListener("error", () => ((uplotLoading = null), reject(new Error("cannot load vendor/uPlot.iife.min.js"))));
        document.head.appendChild(el);
      });
    return uplotLoading;
  }

  // Whether this server has GET /api/v1/<path> (from its route table, /openapi.json), so that the
  // page asks only for what exists (an optional endpoint such as /scaling): no 404 in the console.
  let routeSet = null;
  async function hasRoute(path) {
    if (!routeSet) {
      try {
        const doc = await api("openapi.json");
        routeSet = new Set(Object.keys((doc && doc.paths) || {}));
      } catch (e) {
        return true; // cannot tell: try it
      }
    }
    return routeSet.has("/api/v1/" + path);
  }

  function projectSelect(current, onChange, noAll) {
    const sel = h("select", { id: "project", "aria-label": "project" }, noAll ? null : h("option", { value: "" }, "all projects"));
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

  const routes = {
    dashboard: viewDashboard, family: viewFamily, runs: viewRuns, run: viewRun, compare: viewCompare,
    trend: viewTrend, regressions: viewRegressions,
  };

  async function render() {
    const seq = ++renderSeq;
    cleanup.forEach((f) => f());
    cleanup = [];
    const { path, params } = parseHash();
    const name = routes[path[0]] ? path[0] : "dashboard";
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
    performance.mark("qbdb:built");
    view.replaceChildren(root);
    view.dataset.view = name;
    if (root._mounted) root._mounted();
    document.body.dataset.ready = name + ":" + seq;
    // for bench/bench_dashboard.mjs: when the view's first frame (every sparkline) has been drawn
    // (a task queued from the frame's requestAnimationFrame runs once that frame is painted)
    requestAnimationFrame(() =>
      setTimeout(() => {
        if (ctx.current()) document.body.dataset.drawn = name + ":" + seq + ":" + performance.now().toFixed(1);
      }, 0));
  }
  window.addEventListener("hashchange", render);
  // a token typed after a 401 on a read: try again with it
  tokenInput.addEventListener("change", () => {
    if (document.getElementById("need-token")) render();
  });

  // ---------------------------------------------------------------- sparklines

  // A sparkline as inline SVG: the series' points (oldest first) as one path, each change point a
  // dashed red line between the run before it and its first run. Stretched to its box
  // (non-scaling strokes), so hundreds of them cost one small element tree each and no script
  // after they are built.
  function sparkline(points, changePoints, w, hgt, cls) {
    const n = points.length;
    const el = svg("svg", { class: "spark-svg " + (cls || ""), viewBox: "0 0 " + w + " " + hgt, preserveAspectRatio: "none", role: "img", "aria-hidden": "true" });
    if (!n) return el;
    let lo = Infinity, hi = -Infinity;
    for (const p of points) {
      const v = p[1];
      if (v == null || !isFinite(v)) continue;
      if (v < lo) lo = v;
      if (v > hi) hi = v;
    }
    if (!isFinite(lo)) return el;
    // at least 4% of the level from bottom to top: noise of a percent stays a thin band, a step
    // of 10% stands out (every sparkline on the same relative footing)
    const mid = (hi + lo) / 2;
    const minSpan = Math.abs(mid) * 0.04 || 1;
    if (hi - lo < minSpan) (lo = mid - minSpan / 2), (hi = mid + minSpan / 2);
    const pad = 2;
    const xOf = (i) => (n === 1 ? w / 2 : pad + ((w - 2 * pad) * i) / (n - 1));
    const yOf = (v) => hgt - pad - ((hgt - 2 * pad) * (v - lo)) / (hi - lo);
    let d = "";
    let pen = false;
    for (let i = 0; i < n; i++) {
      const v = points[i][1];
      if (v == null || !isFinite(v)) {
        pen = false;
        continue;
      }
      d += (pen ? "L" : "M") + xOf(i).toFixed(1) + " " + yOf(v).toFixed(1);
      pen = true;
    }
    if (changePoints && changePoints.length) {
      const cps = new Set(changePoints);
      for (let i = 0; i < n; i++) {
        if (!cps.has(points[i][0])) continue;
        const x = i > 0 ? (xOf(i - 1) + xOf(i)) / 2 : xOf(i);
        el.appendChild(svg("line", { class: "spark-cp", x1: x.toFixed(1), x2: x.toFixed(1), y1: 0, y2: hgt, "data-run": points[i][0], "vector-effect": "non-scaling-stroke" }));
      }
    }
    el.appendChild(svg("path", { class: "spark-line", d, "vector-effect": "non-scaling-stroke" }));
    return el;
  }

  function trendParams(project, branch, s) {
    return { project, benchmark: s.benchmark, metric: s.metric, branch, machine: s.machine };
  }
  function paramText(params) {
    const keys = Object.keys(params || {});
    return keys.map((k) => (/^\d+$/.test(k) && keys.length === 1 ? params[k] : k + "=" + params[k])).join(", ");
  }
  // the order of a family's members: by their parameters, numerically where they are numbers
  function paramCompare(a, b) {
    const ka = Object.keys(a.params || {}), kb = Object.keys(b.params || {});
    for (let i = 0; i < Math.max(ka.length, kb.length); i++) {
      const x = (a.params || {})[ka[i]], y = (b.params || {})[kb[i]];
      if (x === y) continue;
      const nx = Number(x), ny = Number(y);
      if (isFinite(nx) && isFinite(ny)) return nx - ny;
      return String(x).localeCompare(String(y));
    }
    return a.benchmark.localeCompare(b.benchmark);
  }

  // One series' card: name, metric and machine, the sparkline, the newest value and change; a link
  // to its trend. An open regression colours the card and names its severity.
  function sparkCard(project, branch, s, opts) {
    const o = opts || {};
    const pts = s.points || [];
    const last = pts.length ? pts[pts.length - 1][1] : null;
    const sev = s.open_regression || "";
    const card = h("a", {
      class: "spark" + (sev ? " open sev-" + sev : "") + (o.big ? " big" : ""),
      href: "#/trend" + qs(trendParams(project, branch, s)),
      title: s.benchmark + " · " + s.metric + " · " + s.machine + "\n" + s.n + " runs, " + isoDay(s.first_time) + " – " + isoDay(s.last_time) +
        (s.change_points && s.change_points.length ? "\n" + s.change_points.length + " change point(s) shown" : "") +
        (sev ? "\nopen regression: " + sev : ""),
      dataset: { benchmark: s.benchmark, metric: s.metric, machine: s.machine, family: s.family || "", open: sev, cps: String((s.change_points || []).length) },
    },
      h("div", { class: "spark-name" }, o.label || s.benchmark),
      h("div", { class: "spark-meta" }, [o.showMetric ? s.metric : null, o.showMachine ? s.machine : null].filter(Boolean).join(" · ")),
      sparkline(pts, s.change_points, o.big ? 320 : 180, o.big ? 70 : 36),
      h("div", { class: "spark-foot" },
        h("span", { class: "spark-val" }, human(last, s.unit)),
        s.last_change_pct != null ? h("span", { class: "spark-chg", title: "the newest change point's change" }, "cp " + pct(s.last_change_pct, 1)) : null,
        sev ? badge(sev, "sev-" + sev) : null));
    card._key = (s.benchmark + " " + (s.family || "")).toLowerCase();
    return card;
  }

  // ---------------------------------------------------------------- dashboard

  // The project to show when the address names none: the one with the newest run.
  async function defaultProject() {
    const list = await projects();
    let best = null;
    for (const p of list) if (!best || (p.latest_run || 0) > (best.latest_run || 0)) best = p;
    return best ? best.name : "";
  }

  // The grade of the branch's last runs: score (0-100) against run, a dot per run coloured by its
  // letter (its title says run, commit, date, letter and score)
  function gradeTrend(grades) {
    const w = 300, hg = 70, left = 30, right = 6, top = 6, bottom = 6;
    const el = svg("svg", { id: "grade-trend", class: "grade-trend", width: w, height: hg, viewBox: "0 0 " + w + " " + hg, role: "img", "aria-label": "grade of the last " + grades.length + " runs" });
    if (!grades.length) return el;
    const n = grades.length;
    const low = Math.max(0, Math.min(50, Math.floor(Math.min(...grades.map((g) => (g.score == null ? 100 : g.score))) / 10) * 10));
    const xOf = (i) => (n === 1 ? (left + w - right) / 2 : left + ((w - left - right - 6) * i) / (n - 1) + 3);
    const yOf = (v) => top + ((hg - top - bottom) * (100 - Math.max(low, Math.min(100, v)))) / (100 - low);
    for (const g of [100, (100 + low) / 2, low]) {
      el.appendChild(svg("line", { class: "grid", x1: left, x2: w - right, y1: yOf(g), y2: yOf(g) }));
      el.appendChild(svg("text", { class: "axis-label", x: left - 4, y: yOf(g) + 3.5, "text-anchor": "end" }, String(g)));
    }
    let d = "";
    grades.forEach((g, i) => {
      if (g.score == null) return;
      d += (d ? "L" : "M") + xOf(i).toFixed(1) + " " + yOf(g.score).toFixed(1);
    });
    el.appendChild(svg("path", { class: "grade-line", d }));
    grades.forEach((g, i) => {
      if (g.score == null) return;
      el.appendChild(svg("circle", { class: "grade-dot grade-" + String(g.grade).replace("+", "p"), cx: xOf(i).toFixed(1), cy: yOf(g.score).toFixed(1), r: 3.5, "data-run": g.run_id },
        svg("title", null, "run #" + g.run_id + " " + shortCommit(g.commit) + " " + iso(g.time) + ": " + g.grade + " (" + Math.round(g.score) + ")")));
    });
    return el;
  }

  async function viewDashboard(root, _path, params, ctx) {
    let project = params.get("project") || "";
    if (!project) {
      project = await defaultProject();
      if (!ctx.current()) return;
      if (!project) {
        root.append(h("h1", null, "Dashboard"), h("p", { class: "muted" }, "No runs stored yet: ingest some (qbdb ingest, qbdb upload), then reload."));
        return;
      }
      history.replaceState(null, "", "#/dashboard" + qs({ project, branch: params.get("branch"), q: params.get("q") }));
    }
    const d = await api("dashboard", { project, branch: params.get("branch") || "" });
    if (!ctx.current()) return;
    document.title = "qbdb: " + d.project;
    const repo = d.repo_url;
    const state = {
      q: params.get("q") || "",
      group: params.get("group") !== "0",
      regressed: params.get("regressed") === "1",
      machine: params.get("machine") || "",
      metric: params.get("metric") || "",
    };
    const keepUrl = () =>
      history.replaceState(null, "", "#/dashboard" + qs({
        project: d.project, branch: params.get("branch"), q: state.q, group: state.group ? "" : "0",
        regressed: state.regressed ? "1" : "", machine: state.machine, metric: state.metric,
      }));

    root.appendChild(h("div", { class: "toolbar" },
      h("h1", null, d.project),
      h("span", { class: "muted", id: "dash-branch" }, "branch " + d.branch + " · " + d.n_runs + " runs"),
      h("label", null, "Project ", projectSelect(d.project, (p) => go("dashboard", { project: p }), true)),
      h("span", { class: "spacer" }),
      link("runs", { project: d.project }, "all runs", { class: "button" }),
      link("regressions", { project: d.project }, "all regressions", { class: "button" })));

    // grade, open regressions, latest run
    const g = d.grade;
    const grades = d.grades || [];
    const gradeCard = h("section", { class: "card grade-card", id: "dash-grade" },
      h("h2", null, "Grade"),
      g
        ? h("div", { class: "grade-row" },
            h("div", { class: "letter grade-" + String(g.letter).replace("+", "p") }, g.letter),
            h("div", null,
              h("div", { class: "score" }, "score " + (g.score == null ? "-" : Math.round(g.score)) + " / 100"),
              h("div", { class: "muted small" }, g.baseline_id != null ? ["run #" + (d.latest_run ? d.latest_run.id : "?") + " against ", link("run/" + g.baseline_id, null, "#" + g.baseline_id)] : "no baseline run")))
        : h("p", { class: "muted" }, "No grade yet."),
      grades.length ? [h("div", { class: "muted small" }, "last " + grades.length + " runs (oldest first)"), gradeTrend(grades)] : null);

    const open = (d.regressions && d.regressions.open) || {};
    const total = SEVERITIES.reduce((a, k) => a + (open[k] || 0), 0);
    const regCard = h("section", { class: "card", id: "dash-regressions" },
      h("h2", null, "Open regressions ", h("span", { class: "muted" }, "(" + total + ")")),
      h("div", { class: "sev-tiles" }, SEVERITIES.map((k) =>
        link("regressions", { project: d.project, min_severity: k }, [h("span", { class: "count" }, String(open[k] || 0)), h("span", { class: "label" }, k)],
          { class: "sev-tile sev-" + k + (open[k] ? "" : " zero"), "data-severity": k, "data-count": String(open[k] || 0), title: (open[k] || 0) + " open " + k + " regression(s); the link lists " + k + " and worse" }))));

    const lr = d.latest_run;
    const latestCard = h("section", { class: "card", id: "dash-latest" },
      h("h2", null, "Latest run"),
      lr
        ? h("dl", { class: "meta compact" },
            h("dt", null, "run"), h("dd", null, link("run/" + lr.id, null, "#" + lr.id)),
            h("dt", null, "commit"), h("dd", null, commitEl(repo, lr.commit)),
            h("dt", null, "started"), h("dd", null, iso(lr.started_at)),
            h("dt", null, "machine"), h("dd", null, lr.machine),
            h("dt", null, "size"), h("dd", null, lr.n_benchmarks + " benchmarks, " + lr.n_samples + " samples"),
            g && g.baseline_id != null ? [h("dt", null, "compare"), h("dd", null, link("compare", { base: g.baseline_id, head: lr.id }, "with #" + g.baseline_id))] : null)
        : h("p", { class: "muted" }, "No runs on this branch."));
    root.appendChild(h("div", { class: "cards" }, gradeCard, regCard, latestCard));

    // the newest runs and the newest open regressions
    const gradeOf = new Map(grades.map((x) => [x.run_id, x]));
    const runRows = (d.runs || []).map((r) => {
      const gr = gradeOf.get(r.id);
      return h("tr", { dataset: { run: String(r.id), commit: r.commit || "" } },
        num(link("run/" + r.id, null, "#" + r.id)), td(iso(r.started_at), { class: "nowrap" }), td(commitEl(repo, r.commit)),
        td(r.machine), num(r.n_benchmarks),
        td(gr ? h("span", { class: "grade-chip grade-" + String(gr.grade).replace("+", "p"), title: "score " + Math.round(gr.score) }, gr.grade) : "-"));
    });
    const regRows = ((d.regressions && d.regressions.newest) || []).map((x) =>
      h("tr", { class: "sev-" + x.severity, dataset: { id: String(x.id), benchmark: x.benchmark, severity: x.severity } },
        td(badge(x.severity, "sev-" + x.severity)),
        td(link("trend", { project: x.project, benchmark: x.benchmark, metric: x.metric, branch: x.branch, machine: x.machine }, x.benchmark)),
        num(pct(x.change_pct, 1)),
        td(x.prev_run_id != null ? link("compare", { base: x.prev_run_id, head: x.run_id }, shortCommit(x.commit).slice(0, 8)) : commitEl(repo, x.commit)),
        td(isoDay(x.time), { class: "nowrap" })));
    root.appendChild(h("div", { class: "columns two" },
      h("section", null, h("h2", null, "Newest runs"),
        table("data dash-runs", [th("run", { class: "num" }), th("started"), th("commit"), th("machine"), th("benchmarks", { class: "num" }), th("grade")],
          runRows.length ? runRows : h("tr", null, h("td", { colspan: 6, class: "muted" }, "No runs.")))),
      h("section", null, h("h2", null, "Newest open regressions"),
        table("data dash-regs", [th("severity"), th("benchmark"), th("change", { class: "num" }), th("commit"), th("date")],
          regRows.length ? regRows : h("tr", null, h("td", { colspan: 5, class: "muted" }, "No open regressions."))))));

    // every series: search, filters, grouping by family, the grid of sparklines
    const series = d.series || [];
    const machines = uniq(series.map((s) => s.machine));
    const metrics = uniq(series.map((s) => s.metric));
    const search = h("input", { type: "search", id: "bench-search", placeholder: "filter benchmarks by name  ( / )", "aria-label": "filter benchmarks by name", value: state.q, autocomplete: "off", spellcheck: "false" });
    const groupBox = h("input", { type: "checkbox", id: "group-family" });
    groupBox.checked = state.group;
    const regBox = h("input", { type: "checkbox", id: "only-regressed" });
    regBox.checked = state.regressed;
    const sel = (id, label, values, cur) => {
      const el = h("select", { id, "aria-label": label }, h("option", { value: "" }, "all " + label + "s"), values.map((v) => h("option", { value: v }, v)));
      el.value = values.includes(cur) ? cur : "";
      return el;
    };
    const machineSel = machines.length > 1 ? sel("machine-filter", "machine", machines, state.machine) : null;
    const metricSel = metrics.length > 1 ? sel("metric-filter", "metric", metrics, state.metric) : null;
    const count = h("span", { class: "muted", id: "bench-count" });
    root.appendChild(h("h2", null, "Benchmarks"));
    root.appendChild(h("div", { class: "toolbar" }, search, machineSel, metricSel,
      h("label", null, groupBox, " group by family"), h("label", null, regBox, " only open regressions"), count,
      h("span", { class: "spacer" }),
      h("span", { class: "legend-key muted small" }, h("span", { class: "key-cp" }), " change point ", h("span", { class: "key-open" }), " open regression")));
    const grid = h("div", { id: "spark-grid" });
    root.appendChild(grid);

    const opts = { showMetric: metrics.length > 1, showMachine: machines.length > 1 };
    const cards = series.map((s) => {
      const c = sparkCard(d.project, d.branch, s, opts);
      c._s = s;
      return c;
    });
    // families: the members of a family with parameters, in parameter order; the rest alone
    const famOf = new Map();
    for (const c of cards) {
      const s = c._s;
      const fam = s.family && Object.keys(s.params || {}).length ? s.family : null;
      if (!fam) continue;
      if (!famOf.has(fam)) famOf.set(fam, []);
      famOf.get(fam).push(c);
    }
    // open regressions first (worst first), then the API's order (benchmark, metric, machine)
    const rankOf = (c) => SEV_RANK[c._s.open_regression] || 0;
    cards.forEach((c, i) => (c._i = i));
    const byRank = (a, b) => rankOf(b) - rankOf(a) || a._i - b._i;
    let groups = [];
    function layout() {
      groups = [];
      if (!state.group) {
        grid.replaceChildren(h("div", { class: "spark-grid" }, cards.slice().sort(byRank)));
        return;
      }
      const seen = new Set();
      const singles = [];
      const out = [];
      for (const c of cards) {
        const s = c._s;
        const fam = s.family && famOf.has(s.family) && Object.keys(s.params || {}).length ? s.family : null;
        if (!fam) {
          singles.push(c);
          continue;
        }
        if (seen.has(fam)) continue;
        seen.add(fam);
        const members = famOf.get(fam).slice().sort((a, b) => paramCompare(a._s, b._s) || a._s.machine.localeCompare(b._s.machine) || a._s.metric.localeCompare(b._s.metric));
        const names = uniq(members.map((m) => m._s.benchmark));
        const sec = h("section", { class: "family", dataset: { family: fam } },
          h("h3", null, link("family", { project: d.project, family: fam, branch: params.get("branch") || "" }, fam, { class: "family-link", title: "the family " + fam + " with its scaling" }),
            h("span", { class: "muted small" }, " " + names.length + " sizes: " + uniq(members.map((m) => paramText(m._s.params))).join(" · "))),
          h("div", { class: "spark-grid" }, members));
        sec._cards = members;
        out.push(sec);
      }
      if (singles.length) {
        singles.sort(byRank);
        const sec = h("section", { class: "family singles", dataset: { family: "" } }, out.length ? h("h3", null, "other benchmarks") : null, h("div", { class: "spark-grid" }, singles));
        sec._cards = singles;
        sec._rank = Math.max(...singles.map(rankOf));
        out.push(sec);
      }
      // the families and the others: those with an open regression first
      for (const sec of out) if (sec._rank == null) sec._rank = Math.max(...sec._cards.map(rankOf));
      out.forEach((sec, i) => (sec._i = i));
      out.sort((a, b) => b._rank - a._rank || a._i - b._i);
      groups = out;
      grid.replaceChildren(...out);
    }
    function filter() {
      const terms = state.q.toLowerCase().split(/\s+/).filter(Boolean);
      let shown = 0;
      for (const c of cards) {
        const s = c._s;
        const ok = terms.every((t) => c._key.includes(t)) && (!state.regressed || s.open_regression) &&
          (!state.machine || s.machine === state.machine) && (!state.metric || s.metric === state.metric);
        c.hidden = !ok;
        if (ok) shown++;
      }
      for (const sec of groups) sec.hidden = sec._cards.every((c) => c.hidden);
      count.textContent = shown + " of " + cards.length + " series";
      count.dataset.shown = String(shown);
    }
    search.addEventListener("input", () => ((state.q = search.value.trim()), filter(), keepUrl()));
    // "/" anywhere but in a field focuses the search
    const onKey = (e) => {
      if (e.key === "/" && !/^(INPUT|SELECT|TEXTAREA)$/.test((e.target && e.target.tagName) || "")) (e.preventDefault(), search.focus());
    };
    document.addEventListener("keydown", onKey);
    cleanup.push(() => document.removeEventListener("keydown", onKey));
    groupBox.addEventListener("change", () => ((state.group = groupBox.checked), layout(), filter(), keepUrl()));
    regBox.addEventListener("change", () => ((state.regressed = regBox.checked), filter(), keepUrl()));
    if (machineSel) machineSel.addEventListener("change", () => ((state.machine = machineSel.value), filter(), keepUrl()));
    if (metricSel) metricSel.addEventListener("change", () => ((state.metric = metricSel.value), filter(), keepUrl()));
    layout();
    filter();
    if (!series.length) grid.replaceChildren(h("p", { class: "muted" }, "No series on this branch."));
  }

  // ---------------------------------------------------------------- family

  // the scaling models of `qbdb scaling` (analysis/trend.c): f(n)
  const MODELS = {
    "O(1)": () => 1, "O(log n)": (n) => Math.log2(n), "O(n)": (n) => n, "O(n log n)": (n) => n * Math.log2(n),
    "O(n^2)": (n) => n * n, "O(n^3)": (n) => n * n * n,
  };

  async function viewFamily(root, _path, params, ctx) {
    const project = params.get("project") || "";
    const family = params.get("family") || "";
    if (!project || !family) throw new Error("the family view needs a project and a family (#/family?project=P&family=F)");
    document.title = "qbdb: family " + family;
    const d = await api("dashboard", { project, branch: params.get("branch") || "", points: 120 });
    if (!ctx.current()) return;
    const all = (d.series || []).filter((s) => s.family === family);
    if (!all.length) throw new Error("no benchmark of family " + family + " on branch " + d.branch + " of " + d.project);
    const machines = uniq(all.map((s) => s.machine));
    const metrics = uniq(all.map((s) => s.metric));
    // by default the machine with the longest history of the family
    const runsOn = (m) => all.filter((s) => s.machine === m).reduce((a, s) => a + (s.n || 0), 0);
    const machine = machines.includes(params.get("machine")) ? params.get("machine") : machines.slice().sort((a, b) => runsOn(b) - runsOn(a) || a.localeCompare(b))[0];
    const metric = metrics.includes(params.get("metric")) ? params.get("metric") : metrics.includes("latency") ? "latency" : metrics[0];
    const members = all.filter((s) => s.machine === machine && s.metric === metric).sort(paramCompare);
    const nav = (over) => go("family", Object.assign({ project, family, branch: params.get("branch") || "", machine, metric }, over));
    const pick = (id, label, values, cur, key) => {
      if (values.length < 2) return null;
      const el = h("select", { id, "aria-label": label }, values.map((v) => h("option", { value: v }, v)));
      el.value = cur;
      el.addEventListener("change", () => nav({ [key]: el.value }));
      return h("label", null, label + " ", el);
    };
    root.appendChild(h("div", { class: "toolbar" },
      h("h1", null, family),
      h("span", { class: "muted" }, "family · " + metric + " · " + d.project + " · " + d.branch + " · " + machine + " · " + members.length + " members"),
      pick("family-machine", "machine", machines, machine, "machine"), pick("family-metric", "metric", metrics, metric, "metric"),
      h("span", { class: "spacer" }),
      link("dashboard", { project, q: family }, "back to the dashboard", { class: "button" })));

    // the newest run that has the family on this machine: the scaling fit is of that run
    let runId = null;
    for (const s of members) {
      const p = s.points || [];
      if (p.length && (runId == null || p[p.length - 1][0] > runId)) runId = p[p.length - 1][0];
    }
    let sc = null;
    let why = null;
    if (await hasRoute("scaling")) {
      try {
        sc = await api("scaling", { project, family, metric, run: runId });
      } catch (e) {
        why = e.message;
      }
    } else why = "this server has no GET /api/v1/scaling";
    if (!ctx.current()) return;

    const fitBox = h("section", { id: "scaling", class: "scaling" });
    root.appendChild(fitBox);
    if (sc && (sc.points || []).length) {
      const best = (sc.fits || []).find((f) => f.model === sc.best);
      fitBox.dataset.best = sc.best || "";
      fitBox.append(
        h("h2", null, "Scaling ", h("span", { class: "muted" }, "(run #" + (sc.run ? sc.run.id : runId) + ", by " + (sc.parameter || "parameter") + ")")),
        h("p", { id: "scaling-best" }, "best fit ", h("strong", null, sc.best || "-"),
          best && best.rms != null ? " · relative RMS error " + (best.rms * 100).toFixed(1) + "%" : ""),
        h("div", { class: "chart small-chart", id: "scaling-chart" }),
        h("div", { class: "columns" },
          table("data fits", [th("model"), th("coefficient", { class: "num" }), th("relative RMS", { class: "num" })],
            (sc.fits || []).map((f) => h("tr", { class: f.model === sc.best ? "best" : "", dataset: { model: f.model } },
              td(f.model + (f.model === sc.best ? " ★" : "")), num(Number(f.coef.toPrecision(4)).toString()), num(f.rms == null ? "-" : (f.rms * 100).toFixed(1) + "%")))),
          table("data scaling-points", [th("benchmark"), th(sc.parameter || "n", { class: "num" }), th("value", { class: "num" }), th("efficiency", { class: "num" })],
            sc.points.map((p) => h("tr", { dataset: { benchmark: p.benchmark } },
              td(p.benchmark), num(String(p.param)), num(human(p.value, sc.unit)), num(p.efficiency == null ? "-" : p.efficiency.toFixed(2)))))));
      root._mounted = () =>
        needUplot().then(() => {
          if (ctx.current()) scalingChart(document.getElementById("scaling-chart"), sc);
        });
    } else {
      fitBox.append(h("h2", null, "Scaling"), h("p", { class: "muted", id: "scaling-none" }, "No scaling fit: " + (why || "the family has no numeric parameter") + "."));
    }

    root.appendChild(h("h2", null, "Members"));
    root.appendChild(h("div", { class: "spark-grid big", id: "family-grid" },
      members.map((s) => sparkCard(project, d.branch, s, { big: true }))));
  }

  // the family's values against the parameter (both axes logarithmic) and the best fit's curve
  function scalingChart(box, sc) {
    if (!box) return null;
    box.replaceChildren();
    const pts = sc.points.filter((p) => p.param > 0 && p.value > 0).sort((a, b) => a.param - b.param);
    if (!pts.length) return null;
    const best = (sc.fits || []).find((f) => f.model === sc.best);
    const f = best && MODELS[best.model];
    const lo = pts[0].param, hi = pts[pts.length - 1].param;
    const xsSet = new Set(pts.map((p) => p.param));
    if (f && hi > lo) for (let k = 0; k <= 40; k++) xsSet.add(lo * Math.pow(hi / lo, k / 40));
    const xs = Array.from(xsSet).sort((a, b) => a - b);
    const meas = xs.map((x) => {
      const p = pts.find((q) => q.param === x);
      return p ? p.value : null;
    });
    const fit = xs.map((x) => (f ? best.coef * f(x) : null)).map((v) => (v != null && v > 0 ? v : null));
    const u = new uPlot({
      width: Math.max(320, box.clientWidth || 700), height: 260,
      // both axes logarithmic, a little wider than the data so that the end points show whole
      scales: {
        x: { time: false, distr: 3, log: 10, range: (_u, a, b) => [a / 1.25, b * 1.25] },
        y: { distr: 3, log: 10, range: (_u, a, b) => [Math.pow(10, Math.floor(Math.log10(a / 1.2))), Math.pow(10, Math.ceil(Math.log10(b * 1.2)))] },
      },
      axes: [
        { stroke: "#555", label: sc.parameter || "n", values: (_u, sp) => sp.map((v) => (v == null ? "" : Number(v.toPrecision(6)).toString())) },
        { stroke: "#555", size: 84, values: (_u, sp) => sp.map((v) => (v == null ? "" : human(v, sc.unit))) },
      ],
      series: [
        { label: sc.parameter || "n" },
        { label: "measured", stroke: "#2563eb", width: 0, paths: () => null, points: { show: true, size: 9, fill: "#2563eb" }, value: (_u, v) => human(v, sc.unit) },
        { label: "fit " + (sc.best || ""), stroke: "#ea580c", width: 2, dash: [6, 4], spanGaps: true, points: { show: false }, value: (_u, v) => human(v, sc.unit) },
      ],
      legend: { show: true },
    }, [xs, meas, fit], box);
    box._uplot = u;
    return u;
  }

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

  // The run page's "95% CI" cell: the tool's interval, or the one computed from the raw samples
  // when the tool stored none (ci_source "samples"), marked with a dagger.
  function ciCell(r) {
    if (r.ci_lo == null || r.ci_hi == null) return num("-", { class: "num ci" });
    const computed = r.ci_source === "samples";
    return num([human(r.ci_lo, r.unit) + " – " + human(r.ci_hi, r.unit), computed ? h("sup", { class: "ci-computed", title: "computed from the raw samples (the tool stored no interval)" }, "\u2020") : null],
      { class: "num ci", "data-ci-source": r.ci_source || "tool" });
  }

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
      ["branch", run.branch], ["commit", run.commit ? commitEl(run.repo_url, run.commit, run.commit) : "-"], ["machine", run.machine],
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
            b.params && Object.keys(b.params).length ? h("div", { class: "muted small" }, paramText(b.params)) : null) : null,
          td(r.metric + (r.direction === "higher" ? " ↑" : "")),
          num(r.n == null ? "-" : r.n),
          STAT_COLS.map((k) => num(human(r[k], r.unit))),
          num(r.estimate == null ? "-" : human(r.estimate, r.unit)),
          ciCell(r)));
      });
    }
    root.appendChild(table("data bench", [th("benchmark"), th("metric"), th("n", { class: "num" }),
      STAT_COLS.map((k) => th(k, { class: "num" })), th("estimate", { class: "num" }),
      th("95% CI", { class: "num", title: "the tool's 95% interval; marked \u2020 when the tool stored none and it is computed from the raw samples" })], rows));
    if (rows.some((r) => r.querySelector(".ci-computed")))
      root.appendChild(h("p", { class: "muted small", id: "ci-note" }, "\u2020 a 95% interval computed from the stored raw samples: the tool stored none."));
    root.firstChild.setAttribute("data-run", String(run.id));
  }

  // ---------------------------------------------------------------- compare

  const SEV_RANK = { none: 0, minor: 1, moderate: 2, major: 3, critical: 4 };
  const VERDICT_RANK = { regression: 3, removed: 2, added: 1, improvement: 0, unchanged: -1 };

  // A side of a compare row as the CLI prints it: the centre and its "±" (the API's "pm", which
  // the CLI prints from the same function; in percent of the centre)
  function sideText(s, unit) {
    if (!s) return "-";
    const c = s.centre != null ? s.centre : s.median != null ? s.median : s.mean;
    let t = human(c, unit);
    if (s.pm != null && isFinite(s.pm)) t += " ± " + pmText(s.pm);
    return t;
  }
  function pmText(pm) {
    return pm.toFixed(1) + "%";
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

    const opened = new Set(); // rows whose distributions are open: benchmark + "\n" + metric
    const keyOf = (r) => r.benchmark + "\n" + r.metric;
    function rowEl(r) {
      const cls = ["verdict-" + r.verdict];
      if (r.verdict === "regression" || r.verdict === "improvement") cls.push("sev-" + r.severity);
      const trendQ = { project: c.head.project, benchmark: r.benchmark, metric: r.metric, branch: c.head.branch, machine: c.head.machine };
      const isOpen = opened.has(keyOf(r));
      const toggle = h("button", { type: "button", class: "dist-toggle", "aria-expanded": isOpen ? "true" : "false", title: "show the two sample distributions", "aria-label": "distributions of " + r.benchmark + " " + r.metric }, isOpen ? "▾" : "▸");
      toggle.addEventListener("click", () => {
        const k = keyOf(r);
        if (opened.has(k)) opened.delete(k);
        else opened.add(k);
        fill();
      });
      return h("tr", { class: cls.join(" "), dataset: { benchmark: r.benchmark, metric: r.metric, verdict: r.verdict, severity: r.severity } },
        td([toggle, " ", link("trend", trendQ, r.benchmark)], { class: "bench-cell" }),
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
      const trs = [];
      for (const r of rows) {
        trs.push(rowEl(r));
        if (opened.has(keyOf(r))) trs.push(distRow(r));
      }
      tbody.replaceChildren(...trs);
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
    // the two sample distributions of a row (GET /samples of each run), as box plots on one axis;
    // fetched once per row
    const distCache = new Map();
    function distRow(r) {
      const cell = h("td", { colspan: COMPARE_COLS.length, class: "dist" }, h("span", { class: "muted" }, "Loading the samples…"));
      const tr = h("tr", { class: "dist-row", dataset: { benchmark: r.benchmark, metric: r.metric } }, cell);
      const k = keyOf(r);
      if (!distCache.has(k)) {
        const q = (run) => api("samples", { project: run.project, run: run.id, benchmark: r.benchmark, metric: r.metric, machine: run.machine });
        distCache.set(k, Promise.allSettled([r.base ? q(c.base) : Promise.reject(new Error("not in the base run")), r.head ? q(c.head) : Promise.reject(new Error("not in the head run"))]));
      }
      distCache.get(k).then(([b, hd]) => {
        const sides = [
          { name: "base", run: c.base, res: b },
          { name: "head", run: c.head, res: hd },
        ];
        cell.replaceChildren(boxPlot(sides, r.unit), h("div", { class: "dist-stats" }, sides.map((sd) => distStats(sd, r.unit))));
        tr.dataset.ready = "1";
      });
      return tr;
    }
    onlyChanged.addEventListener("change", fill);
    fill();
  }

  function distStats(sd, unit) {
    if (sd.res.status !== "fulfilled") return h("div", { class: "muted", dataset: { side: sd.name } }, sd.name + ": " + sd.res.reason.message);
    const v = sd.res.value;
    const m = v.summary || {};
    return h("div", { class: "dist-side", dataset: { side: sd.name } },
      h("strong", null, sd.name + " #" + sd.run.id), " ", h("span", { class: "muted" }, "n " + (v.n != null ? v.n : (v.samples || []).length) + (v.samples && v.samples.length ? "" : " (no raw samples stored: the stored statistics)")),
      h("div", null, ["min", "q1", "median", "q3", "max", "mean"].map((key) =>
        h("span", { class: "stat", dataset: { stat: key, value: m[key] == null ? "" : String(m[key]) } }, key + " " + human(m[key], unit)))));
  }

  // Box plots of several sides on one horizontal axis: whiskers min..max, box q1..q3, the median as
  // a thick line, the mean as a diamond, every raw sample as a dot (spread vertically by its index,
  // so the picture is the same on every load).
  function boxPlot(sides, unit) {
    const W = 720, rowH = 46, top = 8, left = 90, right = 20, axisH = 26;
    const ok = sides.filter((sd) => sd.res.status === "fulfilled" && sd.res.value.summary);
    const H = top + rowH * sides.length + axisH;
    const el = svg("svg", { class: "boxplot", width: W, height: H, viewBox: "0 0 " + W + " " + H, role: "img", "aria-label": "sample distributions" });
    if (!ok.length) return el;
    let lo = Infinity, hi = -Infinity;
    for (const sd of ok) {
      const v = sd.res.value;
      const m = v.summary;
      for (const x of [m.min, m.max, m.q1, m.q3, m.median].concat(v.samples || [])) if (x != null && isFinite(x)) (lo = Math.min(lo, x)), (hi = Math.max(hi, x));
    }
    if (!isFinite(lo)) return el;
    if (hi === lo) (hi += Math.abs(hi) * 0.01 || 1), (lo -= Math.abs(lo) * 0.01 || 1);
    const span = hi - lo;
    lo -= span * 0.04;
    hi += span * 0.04;
    const X = (x) => left + ((W - left - right) * (x - lo)) / (hi - lo);
    const axisY = top + rowH * sides.length + 4;
    el.appendChild(svg("line", { class: "axis", x1: left, x2: W - right, y1: axisY, y2: axisY }));
    for (let k = 0; k <= 5; k++) {
      const v = lo + ((hi - lo) * k) / 5;
      el.appendChild(svg("line", { class: "tick", x1: X(v), x2: X(v), y1: axisY, y2: axisY + 4 }));
      el.appendChild(svg("text", { class: "tick-label", x: X(v), y: axisY + 16, "text-anchor": k === 0 ? "start" : k === 5 ? "end" : "middle" }, human(v, unit)));
    }
    sides.forEach((sd, i) => {
      const y = top + rowH * i + rowH / 2;
      const g = svg("g", { class: "box box-" + sd.name, "data-side": sd.name });
      g.appendChild(svg("text", { class: "box-label", x: 6, y: y + 4 }, sd.name + " #" + sd.run.id));
      el.appendChild(g);
      if (sd.res.status !== "fulfilled" || !sd.res.value.summary) return;
      const v = sd.res.value;
      const m = v.summary;
      const bh = 22;
      if (m.min != null && m.max != null) {
        g.appendChild(svg("line", { class: "whisker", x1: X(m.min), x2: X(m.max), y1: y, y2: y }));
        for (const x of [m.min, m.max]) g.appendChild(svg("line", { class: "whisker", x1: X(x), x2: X(x), y1: y - 7, y2: y + 7 }));
      }
      if (m.q1 != null && m.q3 != null)
        g.appendChild(svg("rect", { class: "iqr", x: X(m.q1), y: y - bh / 2, width: Math.max(1, X(m.q3) - X(m.q1)), height: bh },
          svg("title", null, "q1 " + human(m.q1, unit) + ", q3 " + human(m.q3, unit))));
      const samples = v.samples || [];
      samples.forEach((x, j) => {
        if (x == null || !isFinite(x)) return;
        const jitter = (((j * 7919) % 17) / 16 - 0.5) * (bh + 10);
        g.appendChild(svg("circle", { class: "sample", cx: X(x).toFixed(1), cy: (y + jitter).toFixed(1), r: 2 }));
      });
      if (m.median != null)
        g.appendChild(svg("line", { class: "median", x1: X(m.median), x2: X(m.median), y1: y - bh / 2 - 3, y2: y + bh / 2 + 3, "data-median": String(m.median) },
          svg("title", null, "median " + human(m.median, unit))));
      if (m.mean != null) {
        const mx = X(m.mean);
        g.appendChild(svg("path", { class: "mean", d: "M" + mx + " " + (y - 5) + "L" + (mx + 5) + " " + y + "L" + mx + " " + (y + 5) + "L" + (mx - 5) + " " + y + "Z" },
          svg("title", null, "mean " + human(m.mean, unit))));
      }
    });
    return el;
  }

  // ---------------------------------------------------------------- trend

  const OVERLAY_COLORS = ["#16a34a", "#9333ea", "#ea580c", "#0891b2", "#db2777", "#65a30d"];
  const INTERVAL_NAMES = { ci: "the tool's 95% CI", "ci-samples": "95% CI from the samples", "min-max": "min – max of the samples" };

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
    const repo = t.repo_url;
    const base = { project: t.project, benchmark: t.benchmark, metric: t.metric, branch: t.branch, machine: t.machine };
    // the view's state, kept in the address (replaceState: no reload) so that it can be linked
    const state = {
      log: params.get("log") === "1",
      x: params.get("x") === "commit" ? "commit" : "time",
      overlays: (params.get("overlay") || "").split(",").filter((o) => /^(branch|machine):./.test(o)),
    };
    const keepUrl = () =>
      history.replaceState(null, "", "#/trend" + qs(Object.assign({}, base, { log: state.log ? "1" : "", x: state.x === "commit" ? "commit" : "", overlay: state.overlays.join(",") })));

    root.appendChild(h("div", { class: "toolbar" },
      h("h1", null, t.benchmark),
      h("span", { class: "muted" }, t.metric + " · " + t.project + " · " + t.branch + " · " + t.machine + (t.direction === "higher" ? " · higher is better" : " · lower is better"))));
    const logBox = h("input", { type: "checkbox", id: "log-scale" });
    logBox.checked = state.log;
    const xSel = h("select", { id: "x-axis", "aria-label": "x axis" }, h("option", { value: "time" }, "by time"), h("option", { value: "commit" }, "by commit order"));
    xSel.value = state.x;
    root.appendChild(h("div", { class: "toolbar" },
      h("label", null, logBox, " log scale"),
      h("label", null, "x axis ", xSel),
      h("span", { class: "muted", id: "trend-summary" },
        "last segment: " + (tr.direction || "-") +
          (tr.strength != null ? " (strength " + tr.strength.toFixed(2) + ")" : "") +
          (tr.slope_pct_per_run != null ? ", slope " + pct(tr.slope_pct_per_run) + "/run" : "") +
          (tr.noise_pct != null ? ", noise ±" + tr.noise_pct.toFixed(2) + "%" : "") +
          " · " + (t.change_points || []).length + " change point(s)" +
          " · " + (t.drifts || []).length + " drift(s)")));

    // overlays: the same benchmark and metric on the other branches (this machine) and on the
    // other machines (this branch)
    const others = [];
    for (const b of t.branches || []) if (b !== t.branch) others.push({ key: "branch:" + b, kind: "branch", name: b });
    for (const m of t.machines || []) if (m !== t.machine) others.push({ key: "machine:" + m, kind: "machine", name: m });
    const overlayData = new Map(); // key -> Promise of the trend answer
    const fetchOverlay = (o) => {
      if (!overlayData.has(o.key)) {
        const oq = Object.assign({}, base, o.kind === "branch" ? { branch: o.name } : { machine: o.name });
        overlayData.set(o.key, api("trend", oq).catch((e) => ({ error: e })));
      }
      return overlayData.get(o.key);
    };
    const overlayBoxes = others.map((o, i) => {
      const cb = h("input", { type: "checkbox", class: "overlay", "data-overlay": o.key });
      cb.checked = state.overlays.includes(o.key);
      cb.addEventListener("change", () => {
        state.overlays = others.filter((x) => document.querySelector('input.overlay[data-overlay="' + CSS.escape(x.key) + '"]').checked).map((x) => x.key);
        keepUrl();
        build();
      });
      return h("label", { class: "overlay-pick", style: "--c: " + OVERLAY_COLORS[i % OVERLAY_COLORS.length] }, cb, " " + o.kind + " ", h("strong", null, o.name));
    });
    if (others.length) root.appendChild(h("div", { class: "toolbar overlays", id: "overlays" }, h("span", { class: "muted" }, "overlay:"), overlayBoxes));

    const seg = t.segment;
    const kinds = uniq((t.points || []).map((p) => p.interval).filter(Boolean)).map((k) => INTERVAL_NAMES[k] || k);
    root.appendChild(h("p", { class: "muted small", id: "trend-legend" },
      h("span", { class: "key-whisker" }), " each point's interval" + (kinds.length ? " (" + kinds.join(", ") + ")" : ": none stored"),
      seg ? [" · ", h("span", { class: "key-band" }), " ", h("span", { id: "trend-segment", dataset: { centre: String(seg.centre), low: String(seg.low), high: String(seg.high) } },
        "current segment (from run #" + seg.from_run_id + "): centre " + human(seg.centre, t.unit) + ", noise band " + human(seg.low, t.unit) + " – " + human(seg.high, t.unit) +
          (seg.noise_pct != null ? " (±" + seg.noise_pct.toFixed(2) + "%)" : ""))] : null,
      " · ", h("span", { class: "key-cp" }), " change point"));

    const chartBox = h("div", { class: "chart", id: "trend-chart" });
    root.appendChild(chartBox);

    const points = t.points || [];
    const cps = t.change_points || [];
    const cpRuns = new Set(cps.map((c) => c.run_id));
    root.appendChild(h("h2", null, "Change points"));
    root.appendChild(cps.length
      ? table("data cps", [th("first run after"), th("commit"), th("time"), th("before", { class: "num" }), th("after", { class: "num" }), th("change", { class: "num" }), th("p", { class: "num" })],
          cps.map((c) => {
            const i = points.findIndex((p) => p.run_id === c.run_id);
            const prev = i > 0 ? points[i - 1].run_id : null;
            const p = i >= 0 ? points[i] : {};
            return h("tr", { class: "cp-row", dataset: { run: String(c.run_id), commit: p.commit || "" } },
              td([link("run/" + c.run_id, null, "#" + c.run_id), prev != null ? [" (", link("compare", { base: prev, head: c.run_id }, "compare with #" + prev), ")"] : null]),
              td(p.commit ? commitEl(repo, p.commit) : "-"), td(iso(p.time), { class: "nowrap" }),
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

    // the runs, newest first (the newest 100, then all on request)
    root.appendChild(h("h2", null, "Runs"));
    const ptBody = h("tbody");
    const ptRow = (p) =>
      h("tr", { class: cpRuns.has(p.run_id) ? "cp" : "", dataset: { run: String(p.run_id), commit: p.commit || "" } },
        td(link("run/" + p.run_id, null, "#" + p.run_id)), td(p.commit ? commitEl(repo, p.commit) : "-"), td(iso(p.time), { class: "nowrap" }),
        num(human(p.value, t.unit) + (cpRuns.has(p.run_id) ? " ◆" : "")),
        num(p.lo != null && p.hi != null ? human(p.lo, t.unit) + " – " + human(p.hi, t.unit) : "-"),
        td(p.interval ? h("span", { title: INTERVAL_NAMES[p.interval] || p.interval }, p.interval) : "-", { class: "muted" }),
        num(p.n == null ? "-" : p.n));
    const newest = points.slice().reverse();
    const SHOW = 100;
    newest.slice(0, SHOW).forEach((p) => ptBody.appendChild(ptRow(p)));
    root.appendChild(h("table", { class: "data points" },
      h("thead", null, h("tr", null, th("run"), th("commit"), th("time"), th("value", { class: "num" }), th("interval", { class: "num" }), th("kind"), th("n", { class: "num" }))), ptBody));
    if (newest.length > SHOW) {
      const more = h("button", { type: "button", id: "all-points" }, "Show all " + newest.length + " runs");
      more.addEventListener("click", () => {
        newest.slice(SHOW).forEach((p) => ptBody.appendChild(ptRow(p)));
        more.remove();
      });
      root.appendChild(more);
    }

    let chart = null;
    let buildSeq = 0;
    async function build() {
      const my = ++buildSeq;
      const chosen = others.filter((o) => state.overlays.includes(o.key));
      const answers = await Promise.all(chosen.map(fetchOverlay).concat([needUplot()]));
      if (my !== buildSeq || !ctx.current()) return;
      const overlays = [];
      chosen.forEach((o, i) => {
        const a = answers[i];
        if (a && !a.error) overlays.push({ key: o.key, label: o.kind + " " + o.name, t: a, color: OVERLAY_COLORS[others.indexOf(o) % OVERLAY_COLORS.length] });
      });
      const failed = chosen.map((o, i) => [o, answers[i]]).filter(([, a]) => a && a.error);
      const msg = document.getElementById("overlay-msg");
      if (msg) msg.remove();
      if (failed.length) chartBox.before(h("div", { class: "error", id: "overlay-msg" }, failed.map(([o, a]) => "cannot overlay " + o.kind + " " + o.name + ": " + a.error.message).join("; ")));
      if (chart) chart.destroy();
      chart = trendChart(chartBox, t, { log: state.log, x: state.x, overlays, repo });
    }
    logBox.addEventListener("change", () => ((state.log = logBox.checked), keepUrl(), build()));
    xSel.addEventListener("change", () => ((state.x = xSel.value), keepUrl(), build()));
    const onResize = () => chart && chart.setSize(chartSize(chartBox));
    window.addEventListener("resize", onResize);
    cleanup.push(() => {
      window.removeEventListener("resize", onResize);
      if (chart) chart.destroy();
      chart = null;
    });
    root._mounted = build; // uPlot measures its box: build once the view is in the document
  }

  // x ticks of a series that spans days: whole days (UTC), labelled by ISO date
  const DAY = 86400;
  const DAY_INCRS = [1, 2, 7, 14, 30, 61, 91, 182, 365, 730].map((d) => d * DAY);

  function chartSize(box) {
    return { width: Math.max(320, box.clientWidth || 800), height: 360 };
  }

  // The trend chart (uPlot). opts: {log, x: "time"|"commit", overlays: [{label, t, color}], repo}.
  // Series: the benchmark (line and points), each overlay (another branch or machine, same
  // benchmark and metric), each drift (dashed, from its level at its first run to its last).
  // Drawn under the lines on the canvas: the current segment's noise band (shaded, centre dashed)
  // and each point's interval (lo..hi whisker). Change points are DOM markers (div.cp-marker) in
  // uPlot's overlay, so they can be hovered, read by screen readers and counted.
  // x by time: the run's time (UTC); by commit order: the point's index in the series (points
  // keep commit order); an overlay's point sits on the index of the same commit when the series
  // has it, else between the two runs whose times surround it.
  function trendChart(box, t, opts) {
    const log = !!opts.log;
    box.replaceChildren();
    const pts = t.points || [];
    const unit = t.unit;
    const times = pts.map((p) => Date.parse(p.time) / 1000);
    const timeOk = times.every((x, i) => isFinite(x) && (i === 0 || x > times[i - 1]));
    const byTime = opts.x !== "commit" && timeOk;
    box.dataset.scale = log ? "log" : "linear";
    box.dataset.x = byTime ? "time" : "commit";
    const val = (v) => (v == null || !isFinite(v) || (log && v <= 0) ? null : v);

    // x of each primary point, then of each overlay's points
    const px = byTime ? times : pts.map((_p, i) => i);
    const idxOfCommit = new Map();
    pts.forEach((p, i) => p.commit && !idxOfCommit.has(p.commit) && idxOfCommit.set(p.commit, i));
    function overlayX(p) {
      const tm = Date.parse(p.time) / 1000;
      if (byTime) return isFinite(tm) ? tm : null;
      if (p.commit && idxOfCommit.has(p.commit)) return idxOfCommit.get(p.commit);
      if (!isFinite(tm) || !timeOk || !pts.length) return null;
      if (tm <= times[0]) return -0.5;
      if (tm >= times[times.length - 1]) return pts.length - 0.5;
      let i = 0;
      while (times[i + 1] < tm) i++;
      return i + (tm - times[i]) / (times[i + 1] - times[i]);
    }
    const ovs = (opts.overlays || []).map((o) => {
      const seen = new Set();
      const xs = [];
      const ys = [];
      for (const p of o.t.points || []) {
        let x = overlayX(p);
        if (x == null) continue;
        while (seen.has(x)) x += 1e-6;
        seen.add(x);
        xs.push(x);
        ys.push(p);
      }
      return Object.assign({}, o, { xs, pts: ys });
    });
    // the union of the x values, and each series' values on it
    const all = new Set(px);
    ovs.forEach((o) => o.xs.forEach((x) => all.add(x)));
    const X = Array.from(all).sort((a, b) => a - b);
    const at = new Map(X.map((x, i) => [x, i]));
    const col = () => new Array(X.length).fill(null);
    const primary = col();
    const primaryAt = col(); // union index -> primary point index
    pts.forEach((p, i) => {
      const k = at.get(px[i]);
      primary[k] = val(p.value);
      primaryAt[k] = i;
    });
    const infoAt = col(); // union index -> [series label, point] for the x legend
    const data = [X, primary];
    const series = [
      {
        label: byTime ? "time" : "commit",
        value: (_u, _v, _si, idx) => {
          if (idx == null) return "-";
          const i = primaryAt[idx];
          const p = i != null ? pts[i] : infoAt[idx] && infoAt[idx][1];
          return p ? "#" + p.run_id + " " + shortCommit(p.commit) + " " + iso(p.time) : "-";
        },
      },
      {
        label: t.metric + " (" + t.branch + ", " + t.machine + ")",
        stroke: "#2563eb",
        width: 2,
        spanGaps: true,
        points: { show: true, size: 6, fill: "#2563eb" },
        value: (_u, v) => human(v, unit),
      },
    ];
    for (const o of ovs) {
      const arr = col();
      o.xs.forEach((x, j) => {
        const k = at.get(x);
        arr[k] = val(o.pts[j].value);
        if (primaryAt[k] == null) infoAt[k] = [o.label, o.pts[j]];
      });
      series.push({ label: o.label, stroke: o.color, width: 1.5, spanGaps: true, points: { show: true, size: 4, fill: o.color }, value: (_u, v) => (v == null ? "-" : human(v, unit)) });
      data.push(arr);
    }
    box.dataset.overlays = String(ovs.length);
    // each drift: a dashed line from its level at its first run to its level at its last
    let nDrifts = 0;
    for (const d of t.drifts || []) {
      const i0 = pts.findIndex((p) => p.run_id === d.from_run_id);
      const i1 = pts.findIndex((p) => p.run_id === d.to_run_id);
      if (i0 < 0 || i1 <= i0) continue;
      const arr = col();
      arr[at.get(px[i0])] = val(d.before);
      arr[at.get(px[i1])] = val(d.after);
      series.push({
        label: "drift #" + d.from_run_id + "–#" + d.to_run_id + " (" + pct(d.change_pct) + ")",
        stroke: "#ea580c", width: 2, dash: [8, 4], spanGaps: true, points: { show: false },
        value: (_u, v) => (v == null ? "-" : human(v, unit)),
      });
      data.push(arr);
      nDrifts++;
    }
    box.dataset.drifts = String(nDrifts);

    // the y range covers the values, the intervals and the band
    const seg = t.segment;
    const segI = seg ? pts.findIndex((p) => p.run_id === seg.from_run_id) : -1;
    let ymin = Infinity, ymax = -Infinity;
    const see = (v) => {
      v = val(v);
      if (v != null) (ymin = Math.min(ymin, v)), (ymax = Math.max(ymax, v));
    };
    pts.forEach((p) => (see(p.value), see(p.lo), see(p.hi)));
    ovs.forEach((o) => o.pts.forEach((p) => see(p.value)));
    if (segI >= 0) (see(seg.low), see(seg.high));
    function yRange(_u, dmin, dmax) {
      let a = Math.min(ymin, dmin == null ? Infinity : dmin), b = Math.max(ymax, dmax == null ? -Infinity : dmax);
      if (!isFinite(a) || !isFinite(b)) return log ? [1, 10] : [0, 1];
      if (log) return a === b ? [a / 1.1, b * 1.1] : [a / 1.05, b * 1.05];
      const pad = (b - a) * 0.06 || Math.abs(a) * 0.05 || 1;
      return [a - pad, b + pad];
    }

    const tip = h("div", { class: "chart-tip", hidden: true });
    // the change happens between the last run before it and the first after it: mark halfway
    function placeMarkers(u) {
      u.over.querySelectorAll(".cp-marker").forEach((m) => {
        const x = m._x0 != null ? (u.valToPos(m._x0, "x") + u.valToPos(m._x1, "x")) / 2 : u.valToPos(m._x1, "x");
        m.style.left = x + "px";
      });
    }
    // under the series: the band of the current segment, then each point's whisker
    function drawUnder(u) {
      const c = u.ctx;
      const { left, top, width, height } = u.bbox;
      c.save();
      c.beginPath();
      c.rect(left, top, width, height);
      c.clip();
      if (segI >= 0 && val(seg.low) != null && val(seg.high) != null) {
        const x0 = u.valToPos(segI > 0 ? (px[segI - 1] + px[segI]) / 2 : px[segI], "x", true);
        const x1 = left + width;
        const y0 = u.valToPos(seg.high, "y", true), y1 = u.valToPos(seg.low, "y", true);
        c.fillStyle = "rgba(37, 99, 235, 0.16)";
        c.fillRect(x0, y0, x1 - x0, y1 - y0);
        c.strokeStyle = "rgba(37, 99, 235, 0.45)";
        c.lineWidth = 1 * devicePixelRatio;
        c.setLineDash([6 * devicePixelRatio, 4 * devicePixelRatio]);
        const yc = u.valToPos(seg.centre, "y", true);
        c.beginPath();
        c.moveTo(x0, yc);
        c.lineTo(x1, yc);
        c.stroke();
        c.setLineDash([]);
        box.dataset.band = "1";
      }
      c.strokeStyle = "rgba(37, 99, 235, 0.55)";
      c.lineWidth = 1.2 * devicePixelRatio;
      let n = 0;
      const cap = 3 * devicePixelRatio;
      c.beginPath();
      pts.forEach((p, i) => {
        const a = val(p.lo), b = val(p.hi);
        if (a == null || b == null) return;
        const x = u.valToPos(px[i], "x", true);
        const ya = u.valToPos(a, "y", true), yb = u.valToPos(b, "y", true);
        c.moveTo(x, ya);
        c.lineTo(x, yb);
        c.moveTo(x - cap, ya);
        c.lineTo(x + cap, ya);
        c.moveTo(x - cap, yb);
        c.lineTo(x + cap, yb);
        n++;
      });
      c.stroke();
      c.restore();
      box.dataset.whiskers = String(n);
    }
    const span = byTime && px.length ? px[px.length - 1] - px[0] : 0;
    const uopts = Object.assign(chartSize(box), {
      class: "trend-uplot",
      padding: [12, 36, 0, 0], // room for the last date label
      tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), "Etc/UTC"),
      scales: {
        x: { time: byTime },
        y: log ? { distr: 3, log: 10, range: yRange } : { range: yRange },
      },
      axes: [
        byTime
          ? span >= 3 * DAY
            ? { stroke: "#555", incrs: DAY_INCRS, space: 60, values: (_u, splits) => (box._xticks = splits.map((s) => isoDay(s))) }
            : { stroke: "#555", space: 130, values: (_u, splits) => (box._xticks = splits.map((s) => iso(s))) }
          : {
              stroke: "#555", space: 70,
              incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000],
              values: (_u, splits) => splits.map((s) => (Number.isInteger(s) && pts[s] ? shortCommit(pts[s].commit).slice(0, 7) : "")),
            },
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
        drawAxes: [drawUnder],
        ready: [
          (u) => {
            u.over.appendChild(tip);
            for (const c of t.change_points || []) {
              const i = pts.findIndex((p) => p.run_id === c.run_id);
              if (i < 0) continue;
              const m = h("div", {
                class: "cp-marker", "data-run": c.run_id, "data-commit": pts[i].commit || "", role: "img",
                "aria-label": "change point at run " + c.run_id + ": " + pct(c.change_pct),
                title: "change point at run #" + c.run_id + " (" + shortCommit(pts[i].commit) + ", " + iso(pts[i].time) + "): " + human(c.before, unit) + " → " + human(c.after, unit) + " (" + pct(c.change_pct) + ", p " + pval(c.p_value) + ")",
              }, h("span", { class: "cp-label" }, pct(c.change_pct, 1)));
              m._x1 = px[i];
              m._x0 = i > 0 ? px[i - 1] : null;
              u.over.appendChild(m);
            }
            placeMarkers(u);
          },
        ],
        draw: [placeMarkers],
        setCursor: [
          (u) => {
            const k = u.cursor.idx;
            if (k == null || u.cursor.left < 0) {
              tip.hidden = true;
              return;
            }
            const i = primaryAt[k];
            const p = i != null ? pts[i] : infoAt[k] && infoAt[k][1];
            if (!p) {
              tip.hidden = true;
              return;
            }
            tip.textContent = human(p.value, unit) + (p.lo != null && p.hi != null ? " [" + human(p.lo, unit) + ", " + human(p.hi, unit) + "]" : "") +
              " · " + (i == null ? infoAt[k][0] + " " : "") + "#" + p.run_id + " " + shortCommit(p.commit).slice(0, 8) + " · " + iso(p.time);
            tip.hidden = false;
            const x = u.valToPos(X[k], "x");
            const yv = i != null ? primary[k] : val(p.value);
            const y = yv == null ? 0 : u.valToPos(yv, "y");
            tip.style.left = Math.max(0, Math.min(x + 10, u.over.clientWidth - tip.offsetWidth - 4)) + "px";
            tip.style.top = Math.max(y - 30, 0) + "px";
          },
        ],
      },
    });
    const u = new uPlot(uopts, data, box);
    box._uplot = u;
    return u;
  }

  // ---------------------------------------------------------------- regressions

  const STATUSES = ["open", "acknowledged", "invalid", "fixed"];

  // A record's newest `qbdb bisect` session (the "bisect" of GET /regressions): the commit(s) it
  // found, linked with the project's repo_url, each with the change it made (a range when commits
  // between could not be tested; "not confirmed" when the run budget ran out first), or what the
  // session is at: running, failed, not reproduced, no step.
  function bisectEl(b) {
    if (!b) return null;
    const culprits = b.culprits || [];
    const attrs = { class: "bisect small", dataset: { bisect: b.id, outcome: b.outcome || b.status } };
    if (b.outcome !== "found" || !culprits.length) {
      const what = b.outcome ? "bisect #" + b.id + ": " + b.outcome : "bisect #" + b.id + " " + b.status;
      const title = b.runs != null ? b.runs + " runs" + (b.status === "running" ? " so far" : "") : null;
      return h("div", Object.assign(attrs, { title }), badge(what, "bisect-" + (b.outcome || b.status).replace(/ /g, "-")));
    }
    const short = (sha) => (sha ? String(sha).slice(0, 10) : "?");
    return h("div", attrs, h("span", { class: "muted", title: (b.runs != null ? b.runs + " runs, " : "") + "session of " + when(b.updated_at) }, "bisected (#" + b.id + "):"),
      culprits.map((c) => h("div", { class: "culprit" + (c.confirmed ? "" : " unconfirmed"), dataset: { commit: c.after || "" } },
        c.commits > 1
          ? [commitEl(b.repo_url, c.before, short(c.before)), "..", commitEl(b.repo_url, c.after, short(c.after)), h("span", { class: "muted" }, " (" + c.commits + " commits)")]
          : commitEl(b.repo_url, c.after, short(c.after)),
        " ", h("span", { class: "change" }, pct(c.change_pct, 1)),
        c.confirmed ? null : h("span", { class: "muted", title: "the paired test's run budget ran out before it confirmed this step" }, " not confirmed"),
        c.subject ? h("div", { class: "subject muted", title: c.subject }, c.subject) : null)));
  }

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
          h("div", null, badge(g.status, "status status-" + g.status), g.superseded_by != null
            ? h("span", { class: "badge gone", title: "the change was found again at a nearby run; that record carries on" }, "superseded by ", link("regressions", { project: g.project, all: 1 }, "#" + g.superseded_by))
            : g.active === false ? badge(g.gone_at ? "gone since " + isoDay(g.gone_at) : "gone", "gone") : null)]),
        td([link("trend", trendQ, g.benchmark), h("div", { class: "muted small" }, g.metric)]),
        td(g.project + " · " + g.branch + " · " + g.machine, { class: "nowrap" }),
        td([g.prev_run_id != null
          ? link("compare", { base: g.prev_run_id, head: g.run_id }, shortCommit(g.prev_commit) + ".." + shortCommit(g.commit), { title: "compare run #" + g.prev_run_id + " with #" + g.run_id })
          : link("run/" + g.run_id, null, shortCommit(g.commit)),
          h("div", { class: "muted small", title: g.time }, isoDay(g.time)), bisectEl(g.bisect)], { class: "nowrap" }),
        num(human(g.before, g.unit) + " → " + human(g.after, g.unit)),
        num(pct(g.change_pct)),
        num(pval(g.p_value)),
        td([note, g.triaged_by ? h("div", { class: "muted small", title: g.triaged_at }, "by " + g.triaged_by + " " + isoDay(g.triaged_at)) : null]),
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

  if (!location.hash) history.replaceState(null, "", "#/dashboard");
  render();
  // the footer: server version (after the view's own request)
  api("health")
    .then((v) => (document.getElementById("version").textContent = "qbdb " + (v.version || "") + " · schema " + (v.schema_version || "")))
    .catch(() => {});

  // for the browser test and the console: formatting helpers
  window.qbdb = { human, pct, pval, iso, commitUrl };
})();
