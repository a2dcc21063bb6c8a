// Every metric a Grafana dashboard or an alert rule queries must be one the
// services export: a name of common/metrics/metric_names.h (printed by
// apptrust_metric_names --format=list), a histogram's _bucket/_sum/_count
// series, a series Prometheus makes itself (up), or a recording rule of the
// rule files. Label names in selectors and in by/without/on/ignoring clauses
// must be labels those metrics have. Also: the dashboard covers the panels
// the issue asks for, and every alert has a section in docs/OPERATING.md that
// its runbook annotation links to.
//
// Usage: node check_metric_names.js METRIC_LIST DASHBOARD.json OPERATING.md RULES.yml...
"use strict";
const fs = require("fs");
const yaml = require("js-yaml");

// Labels Prometheus attaches to every scraped series (target labels; the
// ServiceMonitor adds the Kubernetes ones).
const TARGET_LABELS = ["job", "instance", "namespace", "pod", "service", "endpoint", "container"];
const KEYWORDS = new Set(["and", "or", "unless", "bool", "by", "without", "on", "ignoring",
                          "group_left", "group_right", "offset", "inf", "nan", "atan2"]);

const failures = [];
const fail = (message) => failures.push(message);

function loadMetricList(file) {
  const metrics = new Map();
  for (const line of fs.readFileSync(file, "utf8").split("\n")) {
    const [name, type, service, labels] = line.trim().split(/\s+/);
    if (!name) continue;
    metrics.set(name, { type, service, labels: labels === "-" ? [] : labels.split(",") });
  }
  return metrics;
}

// The exported metric behind a series name, with the labels it may carry.
function resolve(name, metrics, recorded) {
  if (metrics.has(name)) return { metric: name, labels: metrics.get(name).labels };
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    if (!name.endsWith(suffix)) continue;
    const base = name.slice(0, -suffix.length);
    const m = metrics.get(base);
    if (m && m.type === "histogram") {
      return { metric: base, labels: suffix === "_bucket" ? [...m.labels, "le"] : m.labels };
    }
  }
  if (recorded.has(name)) return { metric: name, labels: recorded.get(name) };
  return null;
}

// Series selectors and grouping labels of one PromQL expression.
function parse(expr) {
  let e = expr
      .replace(/\$__(rate_)?interval|\$__range/g, "5m")
      .replace(/\$\{[^}]*\}|\$[A-Za-z_]\w*/g, "x");
  const strings = [];
  e = e.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, (s) => {
    strings.push(s);
    return '""';
  });
  const groupings = [];
  e = e.replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\(([^)]*)\)/g,
                (_, word, labels) => {
                  groupings.push(...labels.split(",").map((l) => l.trim()).filter(Boolean));
                  return " ";
                });
  e = e.replace(/\[[^\]]*\]/g, " ").replace(/\boffset\s+-?\w+/g, " ");
  const selectors = [];
  const re = /([A-Za-z_:][A-Za-z0-9_:]*)?\s*(\{[^}]*\})?(\s*\()?/g;
  let m;
  while ((m = re.exec(e)) !== null) {
    if (m[0].length === 0) {
      re.lastIndex++;
      continue;
    }
    const [, name, matchers, call] = m;
    if (name && (call || KEYWORDS.has(name.toLowerCase()))) continue;  // function or keyword
    if (name && /^\d/.test(name)) continue;
    const labels = matchers
        ? [...matchers.matchAll(/([A-Za-z_]\w*)\s*(=~|!~|!=|=)/g)].map((x) => x[1])
        : [];
    if (name) selectors.push({ name, labels });
  }
  return { selectors, groupings };
}

function checkExpr(where, expr, metrics, recorded, used) {
  const { selectors, groupings } = parse(expr);
  if (selectors.length === 0) fail(`${where}: no metric in '${expr}'`);
  const known = new Set(TARGET_LABELS);
  for (const s of selectors) {
    const r = resolve(s.name, metrics, recorded);
    if (!r) {
      fail(`${where}: '${s.name}' is not a metric the services export ` +
           "(common/metrics/metric_names.h)");
      continue;
    }
    used.add(r.metric);
    r.labels.forEach((l) => known.add(l));
    for (const label of s.labels) {
      if (!r.labels.includes(label) && !TARGET_LABELS.includes(label)) {
        fail(`${where}: ${s.name} has no label '${label}' (it has: ${r.labels.join(", ")})`);
      }
    }
  }
  for (const label of groupings) {
    if (!known.has(label)) fail(`${where}: groups by '${label}', which none of its metrics has`);
  }
}

function main([listFile, dashboardFile, operatingFile, ...ruleFiles]) {
  const metrics = loadMetricList(listFile);
  const recorded = new Map();
  const alerts = [];
  const ruleExprs = [];
  for (const file of ruleFiles) {
    for (const group of yaml.load(fs.readFileSync(file, "utf8")).groups) {
      for (const rule of group.rules) {
        if (rule.record) {
          const { groupings } = parse(rule.expr);
          recorded.set(rule.record, groupings);
        }
        if (rule.alert) alerts.push(rule);
        ruleExprs.push({ where: `${file}: ${rule.alert || rule.record}`, expr: rule.expr });
      }
    }
  }
  const ruleMetrics = new Set();
  for (const { where, expr } of ruleExprs) checkExpr(where, expr, metrics, recorded, ruleMetrics);

  // Dashboard: every "expr" of every panel target, and label_values() queries
  // of template variables.
  const dashboard = JSON.parse(fs.readFileSync(dashboardFile, "utf8"));
  const dashboardMetrics = new Set();
  let queries = 0;
  const walk = (node, where) => {
    if (Array.isArray(node)) {
      node.forEach((child) => walk(child, where));
    } else if (node && typeof node === "object") {
      const here = node.title ? `${dashboardFile}: panel '${node.title}'` : where;
      if (typeof node.expr === "string") {
        queries++;
        checkExpr(here, node.expr, metrics, recorded, dashboardMetrics);
      }
      const query = typeof node.query === "string" ? node.query :
          node.query && typeof node.query.query === "string" ? node.query.query : null;
      const lv = query && /label_values\(\s*([^,)]+)\s*,\s*(\w+)\s*\)/.exec(query);
      if (lv) {
        queries++;
        checkExpr(`${dashboardFile}: variable ${node.name}`, `${lv[1]}{${lv[2]}=""}`, metrics,
                  recorded, dashboardMetrics);
      }
      for (const [key, child] of Object.entries(node)) {
        if (key !== "expr") walk(child, here);
      }
    }
  };
  walk(dashboard, dashboardFile);
  if (queries === 0) fail(`${dashboardFile}: no queries found`);
  for (const needed of ["apptrust_decisions_total", "apptrust_decision_duration_seconds",
                        "apptrust_cache_requests_total", "apptrust_probe_duration_seconds",
                        "apptrust_grants"]) {
    if (!dashboardMetrics.has(needed)) fail(`${dashboardFile}: no panel queries ${needed}`);
  }

  // Every alert is explained in docs/OPERATING.md under its own heading.
  const operating = fs.readFileSync(operatingFile, "utf8");
  const anchors = new Set([...operating.matchAll(/^#+\s+(.*)$/gm)].map(
      (h) => h[1].trim().toLowerCase().replace(/[^\w\- ]/g, "").replace(/ /g, "-")));
  for (const alert of alerts) {
    const runbook = (alert.annotations || {}).runbook || "";
    const anchor = runbook.split("#")[1];
    if (!runbook.startsWith("docs/OPERATING.md#") || !anchors.has(anchor)) {
      fail(`alert ${alert.alert}: runbook '${runbook}' is not a heading of docs/OPERATING.md`);
    }
    if (!operating.includes(alert.alert)) fail(`docs/OPERATING.md does not name ${alert.alert}`);
  }

  for (const f of failures) console.error(`FAIL ${f}`);
  if (failures.length) return 1;
  console.log(`${queries} dashboard queries and ${ruleExprs.length} rules name only exported ` +
              `metrics (${[...new Set([...dashboardMetrics, ...ruleMetrics])].sort().join(", ")})`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
