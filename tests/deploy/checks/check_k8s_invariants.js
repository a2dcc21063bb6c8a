// What the rendered overlay must promise beyond schema validity: the
// deployment rules of docs/OPERATING.md and DESIGN §6, checked on the objects
// `kubectl kustomize` renders (not on the source files, so patches count).
//
// Usage: node check_k8s_invariants.js RENDERED.yaml DECISION_HELP STORE_HELP
// where *_HELP are files holding the binaries' --help output (every flag the
// containers pass must be one the binary has).
"use strict";
const fs = require("fs");
const path = require("path");
const yaml = require("js-yaml");

const failures = [];
function expect(condition, message) {
  if (!condition) failures.push(message);
  return condition;
}

function flagsOf(container) {
  const flags = new Map();
  for (const arg of [...(container.command || []).slice(1), ...(container.args || [])]) {
    const match = /^--([a-z_]+)=(.*)$/.exec(arg);
    if (expect(match, `${container.name}: argument '${arg}' is not --flag=value`)) {
      flags.set(match[1], match[2]);
    }
  }
  return flags;
}

function portOf(address) {
  const match = /:(\d+)$/.exec(address || "");
  return match ? Number(match[1]) : NaN;
}

function checkHardening(owner, podSpec) {
  const pod = podSpec.securityContext || {};
  expect(podSpec.automountServiceAccountToken === false,
         `${owner}: automountServiceAccountToken must be false (no API access needed)`);
  for (const c of podSpec.containers) {
    const sc = c.securityContext || {};
    const where = `${owner}/${c.name}`;
    expect(sc.runAsNonRoot === true || pod.runAsNonRoot === true, `${where}: runAsNonRoot`);
    expect((sc.runAsUser ?? pod.runAsUser) > 0, `${where}: runAsUser must be a non-zero uid`);
    expect(sc.readOnlyRootFilesystem === true, `${where}: readOnlyRootFilesystem`);
    expect(sc.allowPrivilegeEscalation === false, `${where}: allowPrivilegeEscalation false`);
    expect(((sc.capabilities || {}).drop || []).includes("ALL"), `${where}: capabilities.drop ALL`);
    expect(!((sc.capabilities || {}).add || []).length, `${where}: adds capabilities`);
    const seccomp = (sc.seccompProfile || pod.seccompProfile || {}).type;
    expect(seccomp === "RuntimeDefault", `${where}: seccompProfile RuntimeDefault`);
    const r = c.resources || {};
    for (const kind of ["requests", "limits"]) {
      for (const resource of ["cpu", "memory"]) {
        expect((r[kind] || {})[resource], `${where}: resources.${kind}.${resource}`);
      }
    }
  }
}

// kubelet's gRPC probes speak plaintext without a client certificate: with
// TLS on --listen they must probe the plaintext --health_listen port.
function checkGrpcProbes(where, container, flags) {
  const healthPort = flags.has("health_listen") ? portOf(flags.get("health_listen"))
                                                : portOf(flags.get("listen"));
  if (flags.has("health_listen")) {
    expect((flags.get("health_listen") || "").startsWith("0.0.0.0:"),
           `${where}: --health_listen must listen on 0.0.0.0 in a pod (kubelet probes it)`);
    expect(containerPorts(container).has(healthPort),
           `${where}: containerPorts lack the --health_listen port`);
  }
  for (const probe of ["readinessProbe", "livenessProbe"]) {
    const p = container[probe];
    if (expect(p && p.grpc, `${where}: ${probe} must be a gRPC probe`)) {
      expect(p.grpc.port === healthPort, `${where}: ${probe} probes port ${p.grpc.port}, ` +
             `the service answers health on ${healthPort}`);
    }
  }
  const live = (container.livenessProbe || {}).grpc || {};
  expect(live.service === "liveness",
         `${where}: the liveness probe must ask for service "liveness" (readiness follows the ` +
         `store or database; liveness must not, or an outage restarts every pod)`);
}

function checkFlagsKnown(where, flags, helpText) {
  for (const name of flags.keys()) {
    expect(new RegExp(`--${name}\\b`).test(helpText),
           `${where}: --${name} is not a flag of the binary (see --help)`);
  }
}

function checkListeners(where, flags, names) {
  for (const name of names) {
    const value = flags.get(name);
    expect(value && value.startsWith("0.0.0.0:"),
           `${where}: --${name}=${value} must listen on 0.0.0.0 in a pod`);
  }
}

// Mutual TLS on the gRPC listener with an authorization policy (DESIGN §8,
// docs/OPERATING.md "Security"): the PEM files from a mounted Secret, the
// policy from a mounted ConfigMap that holds it.
function checkMutualTls(where, podSpec, container, flags, docs, extraSecretFlags = []) {
  for (const name of ["tls_cert_file", "tls_key_file", "tls_client_ca_file",
                      ...extraSecretFlags]) {
    const file = flags.get(name);
    if (!expect(file, `${where}: --${name} must be passed (mutual TLS)`)) continue;
    const found = mountFor(podSpec, container, file);
    expect(found && found.volume && found.volume.secret,
           `${where}: --${name}=${file} must be on a mounted Secret (cert-manager's)`);
  }
  const authz = flags.get("authz_policy");
  if (expect(authz, `${where}: --authz_policy must be passed`)) {
    const found = mountFor(podSpec, container, authz);
    const cmName = found && found.volume && found.volume.configMap && found.volume.configMap.name;
    const cm = cmName && docs.find((d) => d.kind === "ConfigMap" && d.metadata.name === cmName);
    expect(cm && cm.data && Object.prototype.hasOwnProperty.call(cm.data, path.basename(authz)),
           `${where}: --authz_policy=${authz} must be a key of a mounted ConfigMap`);
  }
  expect(!flags.has("allow_insecure_listen"), `${where}: --allow_insecure_listen in a pod`);
  expect(!flags.has("enable_reflection"), `${where}: --enable_reflection in a pod`);
}

// Every ingress rule that opens `port` names its sources: an open gRPC port
// is how grants were re-enrolled and deleted by whoever could reach it.
function checkIngressRestricted(where, policies, ports) {
  for (const np of policies) {
    expect((np.spec.policyTypes || []).includes("Ingress"), `${where} NetworkPolicy: Ingress`);
    for (const rule of np.spec.ingress || []) {
      const rulePorts = (rule.ports || []).map((p) => p.port);
      expect(rulePorts.length > 0, `${where} NetworkPolicy: an ingress rule without ports`);
      for (const port of ports) {
        if (rulePorts.includes(port)) {
          expect(rule.from && rule.from.length > 0,
                 `${where} NetworkPolicy: ingress to ${port} must name its sources (from)`);
        }
      }
    }
  }
}

function containerPorts(container) {
  return new Set((container.ports || []).map((p) => p.containerPort));
}

function mountFor(podSpec, container, filePath) {
  // The volume mounted at the deepest mountPath containing filePath.
  let best = null;
  for (const m of container.volumeMounts || []) {
    if (filePath.startsWith(m.mountPath.replace(/\/?$/, "/")) &&
        (!best || m.mountPath.length > best.mountPath.length)) {
      best = m;
    }
  }
  if (!best) return null;
  return { mount: best, volume: (podSpec.volumes || []).find((v) => v.name === best.name) };
}

function main([renderedFile, decisionHelpFile, storeHelpFile]) {
  const docs = yaml.loadAll(fs.readFileSync(renderedFile, "utf8")).filter(Boolean);
  const decisionHelp = fs.readFileSync(decisionHelpFile, "utf8");
  const storeHelp = fs.readFileSync(storeHelpFile, "utf8");
  const find = (kind, name) =>
      docs.filter((d) => d.kind === kind && (!name || d.metadata.name === name));
  const one = (kind, name) => {
    const found = find(kind, name);
    expect(found.length === 1, `expected one ${kind} ${name || ""}, found ${found.length}`);
    return found[0];
  };

  // Decision Deployment.
  const decision = one("Deployment", "apptrust-decision");
  const services = find("Service");
  const storeService = one("Service", "apptrust-store");
  const storePort = storeService ? storeService.spec.ports.find((p) => p.name === "grpc").port : 0;
  if (decision) {
    const spec = decision.spec.template.spec;
    expect(decision.spec.replicas >= 2, "decision: at least 2 replicas");
    checkHardening("decision", spec);
    const c = spec.containers[0];
    const flags = flagsOf(c);
    checkFlagsKnown("decision", flags, decisionHelp);
    checkListeners("decision", flags, ["listen", "metrics_listen", "web_listen"]);
    checkGrpcProbes("decision", c, flags);
    checkMutualTls("decision", spec, c, flags, docs,
                   ["store_tls_ca_file", "store_tls_cert_file", "store_tls_key_file"]);
    for (const name of ["listen", "metrics_listen", "web_listen"]) {
      expect(containerPorts(c).has(portOf(flags.get(name))),
             `decision: containerPorts lack the --${name} port`);
    }
    expect(flags.get("store") === `apptrust-store:${storePort}`,
           `decision: --store=${flags.get("store")} must name the apptrust-store Service ` +
           `(apptrust-store:${storePort})`);
    const policy = flags.get("policy");
    if (expect(policy, "decision: --policy must be passed")) {
      const found = mountFor(spec, c, policy);
      const cmName = found && found.volume && found.volume.configMap && found.volume.configMap.name;
      const cm = cmName && find("ConfigMap", cmName)[0];
      expect(cm && cm.data && Object.prototype.hasOwnProperty.call(
                                   cm.data, path.basename(policy)),
             `decision: --policy=${policy} must be a key of a mounted ConfigMap`);
      expect(cm && /^apptrust-policy-/.test(cmName),
             `decision: the policy ConfigMap must be the generated apptrust-policy-<hash>`);
    }
    const hpa = find("HorizontalPodAutoscaler").find(
        (h) => h.spec.scaleTargetRef.kind === "Deployment" &&
               h.spec.scaleTargetRef.name === "apptrust-decision");
    expect(hpa && hpa.spec.minReplicas >= 2, "decision: HPA with minReplicas >= 2");
    const podLabels = decision.spec.template.metadata.labels;
    const selects = (selector) => selector && selector.matchLabels &&
        Object.entries(selector.matchLabels).every(([k, v]) => podLabels[k] === v);
    expect(find("PodDisruptionBudget").some((p) => selects(p.spec.selector)),
           "decision: a PodDisruptionBudget selects the decision pods");

    // Egress: DNS, 443 and the store, nothing else.
    const policies = find("NetworkPolicy").filter((p) => selects(p.spec.podSelector));
    expect(policies.length === 1, "decision: exactly one NetworkPolicy selects the decision pods");
    checkIngressRestricted("decision", policies,
                           ["listen", "web_listen", "metrics_listen"].map(
                               (name) => portOf(flags.get(name))));
    for (const np of policies) {
      expect((np.spec.policyTypes || []).includes("Egress"), "decision NetworkPolicy: Egress");
      const allowed = new Set();
      for (const rule of np.spec.egress || []) {
        const ports = rule.ports || [];
        expect(ports.length > 0, "decision NetworkPolicy: an egress rule without ports allows all");
        for (const p of ports) {
          const key = `${p.port}/${p.protocol || "TCP"}`;
          allowed.add(key);
          if (key === `${storePort}/TCP`) {
            expect(rule.to && rule.to.length && rule.to.every((t) => t.podSelector &&
                       t.podSelector.matchLabels &&
                       t.podSelector.matchLabels["app.kubernetes.io/name"] === "apptrust-store"),
                   "decision NetworkPolicy: the store port must be open to the store pods only");
          } else {
            expect(["53/UDP", "53/TCP", "443/TCP"].includes(key),
                   `decision NetworkPolicy: egress to ${key} is more than DNS, 443 and the store`);
          }
        }
      }
      for (const key of ["53/UDP", "53/TCP", "443/TCP", `${storePort}/TCP`]) {
        expect(allowed.has(key), `decision NetworkPolicy: egress to ${key} missing`);
      }
    }
  }

  // Store: one replica, the database on a PersistentVolumeClaim.
  const stores = [...find("StatefulSet", "apptrust-store"), ...find("Deployment", "apptrust-store")];
  if (expect(stores.length === 1, "store: exactly one StatefulSet or Deployment apptrust-store")) {
    const store = stores[0];
    const spec = store.spec.template.spec;
    expect(store.spec.replicas === 1, "store: exactly 1 replica (SQLite has one writer)");
    if (store.kind === "Deployment") {
      expect(store.spec.strategy && store.spec.strategy.type === "Recreate",
             "store Deployment: strategy Recreate (never two writers)");
    }
    checkHardening("store", spec);
    const c = spec.containers[0];
    const flags = flagsOf(c);
    checkFlagsKnown("store", flags, storeHelp);
    checkListeners("store", flags, ["listen", "metrics_listen"]);
    checkGrpcProbes("store", c, flags);
    checkMutualTls("store", spec, c, flags, docs);
    const storeLabels = store.spec.template.metadata.labels;
    const storePolicies = find("NetworkPolicy").filter(
        (p) => p.spec.podSelector && p.spec.podSelector.matchLabels &&
               Object.entries(p.spec.podSelector.matchLabels).every(
                   ([k, v]) => storeLabels[k] === v));
    expect(storePolicies.length === 1, "store: exactly one NetworkPolicy selects the store pods");
    checkIngressRestricted("store", storePolicies,
                           ["listen", "metrics_listen"].map((name) => portOf(flags.get(name))));
    expect(portOf(flags.get("listen")) === storePort,
           "store: --listen port must be the Service's grpc port");
    const db = flags.get("db");
    const found = db && mountFor(spec, c, db);
    const claimTemplates = (store.spec.volumeClaimTemplates || []).map((t) => t.metadata.name);
    expect(found && ((found.volume && found.volume.persistentVolumeClaim) ||
                     claimTemplates.includes(found.mount.name)),
           `store: --db=${db} must be on a PersistentVolumeClaim`);
  }

  // Services select pods and point at named container ports.
  for (const svc of services) {
    const pods = docs.filter((d) => d.spec && d.spec.template && d.spec.template.metadata &&
        Object.entries(svc.spec.selector || {}).every(
            ([k, v]) => d.spec.template.metadata.labels[k] === v));
    if (expect(pods.length > 0, `Service ${svc.metadata.name} selects no pods`)) {
      const names = new Set(pods[0].spec.template.spec.containers.flatMap(
          (c) => (c.ports || []).map((p) => p.name)));
      for (const p of svc.spec.ports) {
        expect(typeof p.targetPort !== "string" || names.has(p.targetPort),
               `Service ${svc.metadata.name}: targetPort ${p.targetPort} is no container port`);
      }
    }
  }

  // Monitoring: the ServiceMonitor scrapes the metrics port of both Services.
  const monitors = find("ServiceMonitor");
  for (const name of ["apptrust-decision", "apptrust-store"]) {
    const svc = services.find((s) => s.metadata.name === name);
    const scraped = svc && monitors.some((m) => {
      const sel = m.spec.selector || {};
      const labels = svc.metadata.labels || {};
      const byLabels = Object.entries(sel.matchLabels || {}).every(([k, v]) => labels[k] === v);
      const byExpr = (sel.matchExpressions || []).every(
          (e) => e.operator === "In" && e.values.includes(labels[e.key]));
      return byLabels && byExpr && m.spec.endpoints.some(
          (e) => svc.spec.ports.some((p) => p.name === e.port));
    });
    expect(scraped, `a ServiceMonitor scrapes the Service ${name}`);
  }
  expect(find("PrometheusRule").length === 1, "one PrometheusRule");

  for (const f of failures) console.error(`FAIL ${f}`);
  if (failures.length) return 1;
  console.log(`${renderedFile}: ${docs.length} objects keep the deployment rules`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
