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

// A container argument with its $(NAME) references replaced as kubelet does:
// from the container's env (a literal, or a key of a Secret or ConfigMap of
// the render). An unresolvable reference fails the check.
function expandEnv(where, container, value, docs) {
  return value.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (match, name) => {
    const env = (container.env || []).find((e) => e.name === name);
    const from = env && env.valueFrom;
    let resolved;
    if (env && typeof env.value === "string") {
      resolved = env.value;
    } else if (from && from.secretKeyRef) {
      const secret = docs.find((d) => d.kind === "Secret" &&
                                      d.metadata.name === from.secretKeyRef.name);
      const key = from.secretKeyRef.key;
      if (secret && secret.stringData && key in secret.stringData) {
        resolved = secret.stringData[key];
      } else if (secret && secret.data && key in secret.data) {
        resolved = Buffer.from(secret.data[key].replace(/\s/g, ""), "base64").toString("utf8");
      }
    } else if (from && from.configMapKeyRef) {
      const cm = docs.find((d) => d.kind === "ConfigMap" &&
                                  d.metadata.name === from.configMapKeyRef.name);
      resolved = cm && cm.data && cm.data[from.configMapKeyRef.key];
    }
    expect(resolved !== undefined, `${where}: ${match} is set by no env entry the render resolves`);
    return resolved === undefined ? match : resolved;
  });
}

// The parts of a libpq URI: postgresql://[user[:password]@]host[:port][,...]/db?k=v&...
function parsePostgresUri(uri) {
  const match = /^postgres(?:ql)?:\/\/(?:([^@/?]*)@)?([^/?]*)(?:\/([^?]*))?(?:\?(.*))?$/.exec(uri);
  if (!match) return null;
  const [user, password] = (match[1] || "").split(":");
  const hosts = match[2].split(",").map((h) => {
    const hp = /^(.*?)(?::(\d+))?$/.exec(h);
    return { host: hp[1], port: hp[2] ? Number(hp[2]) : 5432 };
  });
  return { user: decodeURIComponent(user), password, hosts,
           dbname: decodeURIComponent(match[3] || ""), params: new URLSearchParams(match[4] || "") };
}

function selectsLabels(selector, labels) {
  return Boolean(selector && selector.matchLabels && Object.keys(selector.matchLabels).length &&
      Object.entries(selector.matchLabels).every(([k, v]) => labels[k] === v));
}

// A file flag whose path is a key of a mounted Secret; returns the Secret's
// name.
function secretFileOf(where, podSpec, container, file, what) {
  const found = file && mountFor(podSpec, container, file);
  const secret = found && found.volume && found.volume.secret;
  if (!expect(secret, `${where}: ${what} ${file} must be on a mounted Secret`)) return null;
  const relative = file.slice(found.mount.mountPath.replace(/\/?$/, "/").length);
  const items = secret.items || [];
  expect(!items.length || items.some((i) => i.path === relative),
         `${where}: ${what} ${file} is not among the Secret volume's items`);
  const item = items.find((i) => i.path === relative);
  return { name: secret.secretName, key: item ? item.key : relative };
}

// The store on PostgreSQL (docs/OPERATING.md "Kubernetes: the postgres
// overlay"): stateless replicas that scale and survive a node, the password
// never in the URI, the server verified, the primary only, egress to the
// database pods only; with a CloudNativePG Cluster in the render, the store
// must point at it and it must replicate synchronously.
function checkPostgresStore(store, flags, db, policy, docs) {
  const where = "store (PostgreSQL)";
  const spec = store.spec.template.spec;
  const c = spec.containers[0];
  const labels = store.spec.template.metadata.labels;
  expect(store.kind === "Deployment", `${where}: a Deployment (the pods hold no state)`);
  expect(store.spec.replicas >= 2, `${where}: at least 2 replicas`);
  expect(!(store.spec.volumeClaimTemplates || []).length &&
         !(spec.volumes || []).some((v) => v.persistentVolumeClaim),
         `${where}: no PersistentVolumeClaim (the database holds the state)`);
  const hpa = docs.find((d) => d.kind === "HorizontalPodAutoscaler" &&
                               d.spec.scaleTargetRef.kind === store.kind &&
                               d.spec.scaleTargetRef.name === store.metadata.name);
  expect(hpa && hpa.spec.minReplicas >= 2, `${where}: HPA with minReplicas >= 2`);
  expect(docs.some((d) => d.kind === "PodDisruptionBudget" && selectsLabels(d.spec.selector, labels)),
         `${where}: a PodDisruptionBudget selects the store pods`);

  const uri = parsePostgresUri(db);
  if (!expect(uri, `${where}: --db=${db} is not a libpq URI`)) return;
  expect(uri.password === undefined && !uri.params.has("password"),
         `${where}: --db must not carry the password (--db_password_file)`);
  expect(uri.params.get("sslmode") === "verify-full", `${where}: --db needs sslmode=verify-full`);
  expect(uri.params.get("target_session_attrs") === "read-write",
         `${where}: --db needs target_session_attrs=read-write (the primary only)`);
  const ca = secretFileOf(where, spec, c, uri.params.get("sslrootcert"), "sslrootcert");
  const password = secretFileOf(where, spec, c, flags.get("db_password_file"), "--db_password_file");
  const pool = flags.has("db_pool_size") ? Number(flags.get("db_pool_size")) : 16;
  expect(Number.isInteger(pool) && pool >= 1, `${where}: --db_pool_size must be a positive integer`);

  // Egress: DNS, and the database port(s) to pods named by a selector.
  const dbPorts = new Set(uri.hosts.map((h) => h.port));
  const egress = (policy && policy.spec.egress) || [];
  for (const rule of egress) {
    const ports = rule.ports || [];
    expect(ports.length > 0, `${where} NetworkPolicy: an egress rule without ports allows all`);
    for (const p of ports) {
      const key = `${p.port}/${p.protocol || "TCP"}`;
      if (dbPorts.has(p.port) && (p.protocol || "TCP") === "TCP") {
        expect(rule.to && rule.to.length && rule.to.every((t) => t.podSelector),
               `${where} NetworkPolicy: the database port ${p.port} must be open to pods only`);
      } else {
        expect(["53/UDP", "53/TCP"].includes(key),
               `${where} NetworkPolicy: egress to ${key} is more than DNS and the database`);
      }
    }
  }
  for (const port of dbPorts) {
    expect(egress.some((r) => (r.ports || []).some((p) => p.port === port)),
           `${where} NetworkPolicy: no egress to the database port ${port}`);
  }

  const clusters = docs.filter((d) => d.apiVersion === "postgresql.cnpg.io/v1" &&
                                      d.kind === "Cluster");
  for (const cluster of clusters) {
    const name = cluster.metadata.name;
    const ns = cluster.metadata.namespace;
    const cs = cluster.spec;
    const here = `CloudNativePG Cluster ${name}`;
    expect(cs.instances >= 3, `${here}: at least 3 instances`);
    const sync = (cs.postgresql || {}).synchronous;
    expect((sync && sync.number >= 1) || cs.minSyncReplicas >= 1,
           `${here}: synchronous replication (postgresql.synchronous or minSyncReplicas)`);
    const initdb = (cs.bootstrap || {}).initdb || {};
    expect(initdb.database === uri.dbname && initdb.owner === uri.user,
           `${here}: bootstrap.initdb must create the database ${uri.dbname} owned by ${uri.user}`);
    const rw = new Set([`${name}-rw`, `${name}-rw.${ns}`, `${name}-rw.${ns}.svc`,
                        `${name}-rw.${ns}.svc.cluster.local`]);
    expect(uri.hosts.every((h) => rw.has(h.host) && h.port === 5432),
           `${where}: --db must name the Cluster's read-write Service ${name}-rw.${ns}.svc:5432`);
    expect(password && password.name === `${name}-app` && password.key === "password",
           `${where}: --db_password_file must be key "password" of the Secret ${name}-app`);
    expect(ca && ca.name === `${name}-ca` && ca.key === "ca.crt",
           `${where}: sslrootcert must be key "ca.crt" of the Secret ${name}-ca`);
    expect(egress.some((r) => (r.to || []).some(
               (t) => t.podSelector && t.podSelector.matchLabels &&
                      t.podSelector.matchLabels["cnpg.io/cluster"] === name)),
           `${where} NetworkPolicy: egress to the pods of ${name} (cnpg.io/cluster)`);
    const maxConnections = Number(((cs.postgresql || {}).parameters || {}).max_connections || 100);
    const maxPods = hpa ? hpa.spec.maxReplicas : store.spec.replicas;
    expect(maxPods * pool < maxConnections,
           `${where}: ${maxPods} pods x --db_pool_size=${pool} must stay below the Cluster's ` +
           `max_connections (${maxConnections})`);
  }
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

  // Store: on SQLite one replica owning a PersistentVolumeClaim, on
  // PostgreSQL stateless replicas (checkPostgresStore); --db says which.
  const stores = [...find("StatefulSet", "apptrust-store"), ...find("Deployment", "apptrust-store")];
  if (expect(stores.length === 1, "store: exactly one StatefulSet or Deployment apptrust-store")) {
    const store = stores[0];
    const spec = store.spec.template.spec;
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
    const db = expandEnv("store", c, flags.get("db") || "", docs);
    if (/^postgres(ql)?:\/\//.test(db)) {
      checkPostgresStore(store, flags, db, storePolicies[0], docs);
    } else {
      expect(store.spec.replicas === 1, "store: exactly 1 replica (SQLite has one writer)");
      if (store.kind === "Deployment") {
        expect(store.spec.strategy && store.spec.strategy.type === "Recreate",
               "store Deployment: strategy Recreate (never two writers)");
      }
      const found = db && mountFor(spec, c, db);
      const claimTemplates = (store.spec.volumeClaimTemplates || []).map((t) => t.metadata.name);
      expect(found && ((found.volume && found.volume.persistentVolumeClaim) ||
                       claimTemplates.includes(found.mount.name)),
             `store: --db=${db} must be on a PersistentVolumeClaim`);
    }
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
