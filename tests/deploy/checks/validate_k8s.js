// Validates rendered Kubernetes objects (YAML streams, e.g. the output of
// `kubectl kustomize`) against the Kubernetes API schemas, offline:
//
//  1. kubernetes-models' validators, compiled from the Kubernetes OpenAPI
//     spec (and prometheus-operator's and cert-manager's CRDs): types,
//     required fields, enums, formats.
//  2. TypeScript's excess-property check against the same models' type
//     declarations: a field the API does not have (a typo such as
//     `readOnlyRootFileSystem`, which the API server would silently drop)
//     fails, like `kubeconform -strict` or `kubectl --validate=strict`.
//
// An object whose apiVersion/kind has no schema here fails: nothing passes
// unchecked. The CloudNativePG Cluster, for which no models exist, is checked
// against cnpg_cluster_schema.js (a strict subset of its CRD's schema) with
// ajv instead, the validator kubernetes-models itself uses. Usage: node validate_k8s.js FILE...   Exit 0 when all are valid.
// The npm packages of package.json are found through NODE_PATH (tests/deploy
// installs them into the build tree).
"use strict";
const fs = require("fs");
const os = require("os");
const path = require("path");
const yaml = require("js-yaml");
const ts = require("typescript");

// The node_modules folder the models were installed into, for TypeScript's
// module resolution.
const nodeModules = (() => {
  const resolved = require.resolve("kubernetes-models/package.json");
  return resolved.slice(0, resolved.lastIndexOf("node_modules") + "node_modules".length);
})();

// apiVersion -> module directory holding one model per kind.
function modelDir(apiVersion) {
  if (apiVersion === "v1") return "kubernetes-models/v1";
  if (apiVersion.startsWith("monitoring.coreos.com/")) {
    return `@kubernetes-models/prometheus-operator/${apiVersion}`;
  }
  if (apiVersion.startsWith("cert-manager.io/")) {
    return `@kubernetes-models/cert-manager/${apiVersion}`;
  }
  return `kubernetes-models/${apiVersion}`;
}

function loadDocs(files) {
  const docs = [];
  for (const file of files) {
    yaml.loadAll(fs.readFileSync(file, "utf8"), (doc) => {
      if (doc !== null && doc !== undefined) docs.push({ file, doc });
    });
  }
  return docs;
}

function describe(doc) {
  const meta = doc.metadata || {};
  return `${doc.apiVersion}/${doc.kind} ${meta.name || "(no name)"}`;
}

// Kinds without models: apiVersion/kind -> a JSON schema for ajv.
const crdSchemas = {
  "postgresql.cnpg.io/v1/Cluster": "./cnpg_cluster_schema.js",
};

function validateWithSchema(doc, schemaModule) {
  const Ajv = require("ajv");
  const validate = new Ajv({ allErrors: true, strict: true }).compile(require(schemaModule));
  if (validate(doc)) return [];
  return validate.errors.map((e) => {
    const extra = e.params && e.params.additionalProperty;
    return `${describe(doc)}: ${e.instancePath || "/"} ${e.message}` +
           (extra ? ` (${extra})` : "");
  });
}

function main(files) {
  if (files.length === 0) {
    console.error("usage: node validate_k8s.js FILE...");
    return 2;
  }
  const docs = loadDocs(files);
  const errors = [];
  const tsLines = [];
  docs.forEach(({ file, doc }, index) => {
    if (typeof doc !== "object" || !doc.apiVersion || !doc.kind) {
      errors.push(`${file}: document ${index} has no apiVersion/kind`);
      return;
    }
    const crdSchema = crdSchemas[`${doc.apiVersion}/${doc.kind}`];
    if (crdSchema) {
      errors.push(...validateWithSchema(doc, crdSchema));
      return;
    }
    const modulePath = `${modelDir(doc.apiVersion)}/${doc.kind}`;
    let model;
    try {
      model = require(modulePath)[doc.kind];
    } catch (e) {
      errors.push(`${describe(doc)}: no schema for ${doc.apiVersion} ${doc.kind} (${modulePath})`);
      return;
    }
    // kustomize's secretGenerator wraps long base64 values over lines; the
    // API server's base64 decoding skips line breaks, so the check does too.
    if (doc.kind === "Secret" && doc.data) {
      for (const key of Object.keys(doc.data)) doc.data[key] = doc.data[key].replace(/[\r\n]/g, "");
    }
    try {
      new model(doc).validate();
    } catch (e) {
      errors.push(`${describe(doc)}: ${e.message}`);
    }
    tsLines.push(`import type { I${doc.kind} as T${index} } from ${JSON.stringify(modulePath)};`);
    tsLines.push(`export const doc${index}: T${index} = ${JSON.stringify(doc, null, 1)};`);
    tsLines.push(`// ${describe(doc)}`);
  });

  if (tsLines.length > 0) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "apptrust-k8s-"));
    const source = path.join(dir, "objects.ts");
    fs.writeFileSync(source, tsLines.join("\n") + "\n");
    const program = ts.createProgram([source], {
      noEmit: true,
      strict: true,
      skipLibCheck: true,
      module: ts.ModuleKind.Node16,
      moduleResolution: ts.ModuleResolutionKind.Node16,
      typeRoots: [],
      types: [],
      baseUrl: nodeModules,
      paths: { "*": [path.join(nodeModules, "*")] },
    });
    const diagnostics = ts.getPreEmitDiagnostics(program);
    const text = fs.readFileSync(source, "utf8").split("\n");
    for (const d of diagnostics) {
      let where = "";
      if (d.file && d.start !== undefined) {
        const { line } = d.file.getLineAndCharacterOfPosition(d.start);
        // The object this line belongs to: the next "// apiVersion/kind name" comment.
        let owner = "";
        for (let i = line; i < text.length; ++i) {
          if (text[i].startsWith("// ")) {
            owner = text[i].slice(3);
            break;
          }
        }
        where = `${owner}: line ${line + 1}: ${text[line].trim()}: `;
      }
      errors.push(where + ts.flattenDiagnosticMessageText(d.messageText, " "));
    }
    fs.rmSync(dir, { recursive: true, force: true });
  }

  for (const e of errors) console.error(`INVALID ${e}`);
  if (errors.length > 0) return 1;
  console.log(`${docs.length} objects valid against the Kubernetes schemas`);
  return 0;
}

process.exitCode = main(process.argv.slice(2));
