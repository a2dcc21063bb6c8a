// The gateway's side of the AppTrust API (proto/apptrust/v1, read as it is at
// start-up by @grpc/proto-loader): Enroll and CheckRefresh on the decision
// service, DeleteGrant on the store. Every call has a deadline; UNAVAILABLE and
// ABORTED are retried with backoff within it, as the API asks (never anything
// else: a refresh is never allowed on an error). Grant ids are the gateway's
// own opaque ids; no token is ever sent.
//
// Read-your-writes: the highest store revision any answer carried
// (store_revision, or the store's `apptrust-revision` trailer on DeleteGrant)
// goes with every CheckRefresh as min_store_revision, so whichever decision
// replica answers honours this gateway's own enrollments and revocations at
// once (docs/OPERATING.md "The grant cache"). Several gateway processes would
// keep the revision with the grant instead.
import path from 'node:path';

import grpc from '@grpc/grpc-js';
import protoLoader from '@grpc/proto-loader';

const RETRIED = new Set([grpc.status.UNAVAILABLE, grpc.status.ABORTED]);

export class AppTrustClient {
  // decisionAddress, storeAddress: "host:port" (plaintext: loopback only in
  // this reference; a deployment adds the mTLS credentials of
  // docs/OPERATING.md). protoDir: the repository's proto/ directory.
  constructor({ decisionAddress, storeAddress, protoDir, deadlineMs = 10000, attempts = 3 }) {
    const definition = protoLoader.loadSync(
      ['apptrust/v1/decision.proto', 'apptrust/v1/store.proto'].map((f) => path.join(protoDir, f)),
      { includeDirs: [protoDir], keepCase: true, longs: String, enums: String, defaults: true },
    );
    const v1 = grpc.loadPackageDefinition(definition).apptrust.v1;
    const credentials = grpc.credentials.createInsecure();
    this.decision = new v1.DecisionService(decisionAddress, credentials);
    this.store = new v1.FingerprintStore(storeAddress, credentials);
    this.deadlineMs = deadlineMs;
    this.attempts = attempts;
    this.revision = 0n;
  }

  // The highest store revision seen so far (a BigInt).
  get storeRevision() {
    return this.revision;
  }

  #saw(revision) {
    if (revision === undefined || revision === null || revision === '') return;
    const value = BigInt(revision);
    if (value > this.revision) this.revision = value;
  }

  // The patient approved (or re-approved) the app: the grant becomes ACTIVE.
  async enroll(request) {
    const response = await this.#call(this.decision, 'Enroll', request);
    this.#saw(response.store_revision);
    return response;
  }

  // Probe and describe, store nothing: what the consent screen shows.
  inspect(request) {
    return this.#call(this.decision, 'Inspect', request);
  }

  // A refresh arrived. Resolves to the CheckRefreshResponse (verdict
  // 'VERDICT_ALLOW' or 'VERDICT_SUSPEND'); rejects with the gRPC error.
  async checkRefresh(request) {
    const response = await this.#call(this.decision, 'CheckRefresh', {
      ...request,
      min_store_revision: this.revision.toString(),
    });
    this.#saw(response.store_revision);
    return response;
  }

  // The grant was revoked: forget its fingerprint. NOT_FOUND counts as done.
  async deleteGrant(request) {
    try {
      await this.#call(this.store, 'DeleteGrant', request);
    } catch (error) {
      if (error.code !== grpc.status.NOT_FOUND) throw error;
    }
  }

  close() {
    this.decision.close();
    this.store.close();
  }

  async #call(stub, method, request) {
    const deadline = Date.now() + this.deadlineMs;
    for (let attempt = 1; ; attempt += 1) {
      try {
        return await new Promise((resolve, reject) => {
          const call = stub[method](request, { deadline }, (error, response) =>
            (error ? reject(error) : resolve(response)));
          call.on('status', (status) => {
            const [revision] = status.metadata?.get('apptrust-revision') ?? [];
            if (status.code === grpc.status.OK) this.#saw(revision?.toString());
          });
        });
      } catch (error) {
        const backoffMs = 100 * 4 ** (attempt - 1);
        if (!RETRIED.has(error.code) || attempt >= this.attempts
            || Date.now() + backoffMs >= deadline) {
          throw error;
        }
        await new Promise((resolve) => { setTimeout(resolve, backoffMs); });
      }
    }
  }
}

export const { status: GrpcStatus } = grpc;
