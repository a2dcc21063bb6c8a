// A reference token gateway: node oidc-provider (the OpenID-certified
// authorization server) wired to AppTrust.
//   consent with offline_access → DecisionService/Enroll   (lib/interactions.js)
//   every refresh_token grant   → DecisionService/CheckRefresh (lib/refresh_check.js)
//   grant revoked               → FingerprintStore/DeleteGrant (below)
// One tenant per gateway (--tenant). Storage is oidc-provider's in-memory
// adapter and the signing key is made at start: a reference, not a product.
//
//   node gateway.js --listen=127.0.0.1:0 --decision=127.0.0.1:50051 \
//     --store=127.0.0.1:50052 --proto_dir=../../proto --clients=clients.json
//
// clients.json: an array of oidc-provider client metadata, plus
// "apptrust_persona" ("patient" default, "provider", "system") and
// "apptrust_validated" (the app passed the vendor's validation program).
// Sign in as "patient" with password "patient".
// Prints "gateway: http listening on HOST:PORT" once it accepts requests.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import Provider from 'oidc-provider';

import { AppTrustClient } from './lib/apptrust_client.js';
import { interactionRoutes } from './lib/interactions.js';
import { logLine } from './lib/log.js';
import { checkedRotation, refusalResponses } from './lib/refresh_check.js';

const here = path.dirname(fileURLToPath(import.meta.url));
const { values: flags } = parseArgs({
  options: {
    listen: { type: 'string', default: '127.0.0.1:0' },
    decision: { type: 'string', default: '127.0.0.1:50051' },
    store: { type: 'string', default: '127.0.0.1:50052' },
    proto_dir: { type: 'string', default: path.resolve(here, '../../proto') },
    tenant: { type: 'string', default: 'demo' },
    clients: { type: 'string' },
  },
});
if (!flags.clients) {
  process.stderr.write('gateway: --clients=FILE is required\n');
  process.exit(2);
}

const PERSONAS = { patient: 'PERSONA_PATIENT', provider: 'PERSONA_PROVIDER', system: 'PERSONA_SYSTEM' };
const clients = JSON.parse(fs.readFileSync(flags.clients, 'utf8'));
const apptrust = new AppTrustClient({
  decisionAddress: flags.decision, storeAddress: flags.store, protoDir: flags.proto_dir,
});
const accounts = new Map([['patient', { accountId: 'patient-1', password: 'patient' }]]);
// Last grant per (account, client): a re-approval reuses the grant, so the
// refresh tokens the app holds work again once AppTrust has re-enrolled it,
// whatever browser the patient approves from.
const grantIndex = new Map();

const [host, port] = [flags.listen.slice(0, flags.listen.lastIndexOf(':')),
  Number(flags.listen.slice(flags.listen.lastIndexOf(':') + 1))];
const server = http.createServer();
await new Promise((resolve) => { server.listen(port, host, resolve); });
const issuer = `http://${host}:${server.address().port}`;

const { privateKey } = crypto.generateKeyPairSync('rsa', { modulusLength: 2048 });
const provider = new Provider(issuer, {
  clients,
  extraClientMetadata: {
    properties: ['apptrust_persona', 'apptrust_validated'],
    validator(ctx, key, value) {
      if (key === 'apptrust_persona' && value !== undefined && !PERSONAS[value]) {
        throw new Error('apptrust_persona must be patient, provider or system');
      }
    },
  },
  jwks: { keys: [{ ...privateKey.export({ format: 'jwk' }), kid: 'gateway', alg: 'RS256', use: 'sig' }] },
  cookies: { keys: [crypto.randomBytes(32).toString('base64url')] },
  scopes: ['openid', 'offline_access'],
  features: { devInteractions: { enabled: false }, revocation: { enabled: true } },
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  findAccount: (ctx, sub) => ({ accountId: sub, claims: () => ({ sub }) }),
  async loadExistingGrant(ctx) {
    const { client, session } = ctx.oidc;
    const grantId = ctx.oidc.result?.consent?.grantId
      || session.grantIdFor(client.clientId)
      || grantIndex.get(`${session.accountId} ${client.clientId}`);
    return grantId ? ctx.oidc.provider.Grant.find(grantId) : undefined;
  },
  // Refresh tokens only for offline_access, the approvals AppTrust enrolls
  // (oidc-provider's default also gives them to every public web client).
  issueRefreshToken: (ctx, client, code) => client.grantTypeAllowed('refresh_token')
    && code.scopes.has('offline_access'),
  rotateRefreshToken: checkedRotation({
    apptrust,
    tenantId: flags.tenant,
    // The redirect URI registered now, when there is only one: AppTrust
    // suspends if its domain differs from the approved one.
    redirectUriOf: (client) => (client.redirectUris.length === 1 ? client.redirectUris[0] : undefined),
  }),
});
provider.use(refusalResponses());

// Revocation ends the grant (oidc-provider revokes the whole grant when its
// refresh token is revoked): AppTrust forgets it. Never blocks the
// revocation; a failure is logged (AppTrust keeps a grant no token can use).
provider.on('grant.revoked', (ctx, grantId) => {
  apptrust.deleteGrant({ tenant_id: flags.tenant, grant_id: grantId })
    .then(() => logLine('DeleteGrant', { grant_id: grantId }))
    .catch((error) => logLine('DeleteGrant failed', { grant_id: grantId, code: error.code }));
});
provider.on('server_error', (ctx, error) => logLine('server_error', { detail: String(error) }));

const interactions = interactionRoutes({
  provider,
  apptrust,
  tenantId: flags.tenant,
  accounts,
  grantIndex,
  clientSettings: (client) => ({
    persona: PERSONAS[client.apptrust_persona ?? 'patient'],
    validated: client.apptrust_validated === true,
  }),
});
const oidc = provider.callback();
server.on('request', (req, res) => {
  interactions(req, res).then((handled) => { if (!handled) oidc(req, res); }).catch((error) => {
    logLine('interaction failed', { detail: String(error) });
    if (!res.headersSent) res.writeHead(400, { 'Content-Type': 'text/plain' });
    res.end('This sign-in can no longer be completed. Please start again from the app.\n');
  });
});

const stop = () => {
  server.close(() => { apptrust.close(); process.exit(0); });
  server.closeAllConnections();
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
process.stdout.write(`gateway: http listening on ${host}:${server.address().port}\n`);
