// The gateway's side of the AppTrust API (proto/apptrust/v1, read as it is at
// start-up by @grpc/proto-loader): Enroll and CheckRefresh on the decision
// service, DeleteGrant on the store. Every call has a deadline; UNAVAILABLE and
// ABORTED are retried with backoff within it, as the API asks (never anything
// else: a refresh is never allowed on an error). Grant ids are the gateway's
// own opaque ids; no token is ever sent.
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
  }

  // The patient approved (or re-approved) the app: the grant becomes ACTIVE.
  enroll(request) {
    return this.#call(this.decision, 'Enroll', request);
  }

  // Probe and describe, store nothing: what the consent screen shows.
  inspect(request) {
    return this.#call(this.decision, 'Inspect', request);
  }

  // A refresh arrived. Resolves to the CheckRefreshResponse (verdict
  // 'VERDICT_ALLOW' or 'VERDICT_SUSPEND'); rejects with the gRPC error.
  checkRefresh(request) {
    return this.#call(this.decision, 'CheckRefresh', request);
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
          stub[method](request, { deadline }, (error, response) =>
            (error ? reject(error) : resolve(response)));
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
