// The JSON schema of the CloudNativePG `Cluster` (postgresql.cnpg.io/v1) as
// far as deploy/ uses it: a strict subset of the openAPIV3Schema of
// CloudNativePG 1.30's CRD (config/crd/bases/postgresql.cnpg.io_clusters.yaml),
// with the same names, types, enums and minimums. kubernetes-models has no
// CloudNativePG models, and the CRD (470 kB, mostly Kubernetes core types
// CloudNativePG embeds) is not vendored here. Strict: every object rejects a
// field this subset lacks, so a misspelling fails like it does for the
// Kubernetes kinds; a real CloudNativePG field that deploy/ starts to use must
// be added here from the CRD first. Not checked: the CRD's CEL rules
// (x-kubernetes-validations).
"use strict";

const string = { type: "string" };
const integer = (minimum) => (minimum === undefined ? { type: "integer" }
                                                    : { type: "integer", minimum });
const boolean = { type: "boolean" };
const object = (properties, required = []) =>
    ({ type: "object", properties, required, additionalProperties: false });
const map = (values) => ({ type: "object", additionalProperties: values });
const quantity = { anyOf: [{ type: "string" }, { type: "integer" }] };
const storage = object({ size: string, storageClass: string, resizeInUseVolumes: boolean });

const spec = object({
  instances: integer(1),
  imageName: string,
  primaryUpdateStrategy: { type: "string", enum: ["unsupervised", "supervised"] },
  primaryUpdateMethod: { type: "string", enum: ["switchover", "restart"] },
  enableSuperuserAccess: boolean,
  minSyncReplicas: integer(0),
  maxSyncReplicas: integer(0),
  postgresql: object({
    synchronous: object({
      method: { type: "string", enum: ["any", "first"] },
      number: integer(),
      dataDurability: { type: "string", enum: ["required", "preferred"] },
      maxStandbyNamesFromCluster: integer(),
      failoverQuorum: boolean,
    }, ["method", "number"]),
    parameters: map(string),
    pg_hba: { type: "array", items: string },
  }),
  bootstrap: object({
    initdb: object({
      database: string,
      owner: string,
      secret: object({ name: string }, ["name"]),
      dataChecksums: boolean,
      encoding: string,
      localeCollate: string,
      localeCType: string,
    }),
  }),
  storage,
  walStorage: storage,
  affinity: object({ enablePodAntiAffinity: boolean, podAntiAffinityType: string,
                     topologyKey: string }),
  resources: object({ requests: map(quantity), limits: map(quantity) }),
}, ["instances"]);

module.exports = object({
  apiVersion: { const: "postgresql.cnpg.io/v1" },
  kind: { const: "Cluster" },
  metadata: object({ name: string, namespace: string, labels: map(string),
                     annotations: map(string) }, ["name"]),
  spec,
}, ["apiVersion", "kind", "metadata", "spec"]);
