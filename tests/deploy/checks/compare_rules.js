// The PrometheusRule in a rendered overlay must carry exactly the groups of
// deploy/prometheus/apptrust.rules.yml (the file promtool tests).
// Usage: node compare_rules.js RULES.yml RENDERED.yaml
"use strict";
const fs = require("fs");
const util = require("util");
const yaml = require("js-yaml");

const [rulesFile, renderedFile] = process.argv.slice(2);
const rules = yaml.load(fs.readFileSync(rulesFile, "utf8"));
const objects = yaml.loadAll(fs.readFileSync(renderedFile, "utf8")).filter(
    (d) => d && d.kind === "PrometheusRule");
if (objects.length !== 1) {
  console.error(`FAIL ${renderedFile}: expected one PrometheusRule, found ${objects.length}`);
  process.exit(1);
}
if (!util.isDeepStrictEqual(objects[0].spec.groups, rules.groups)) {
  console.error(`FAIL the PrometheusRule ${objects[0].metadata.name} differs from ${rulesFile}; ` +
                "regenerate its spec as deploy/k8s/base/prometheusrule.yaml says");
  process.exit(1);
}
console.log(`PrometheusRule ${objects[0].metadata.name} matches ${rulesFile}`);
