// A minimal patient app, to show the app's side of a suspended refresh.
//
// Its website is an HTTPS server (--tls_listen, certificate files re-read at
// every handshake, so a renewed or expired certificate is served at once):
// that is the redirect host AppTrust checks, and its /callback receives the
// authorization code (authorization code + PKCE, public client). Its own page
// is plain HTTP on loopback (--page_listen), where the patient uses it. When
// a refresh is refused with invalid_grant it does what the EHR vendor asks:
// (1) say that the app's access may have been suspended, (2) link "More
// information" to the error_uri it got, (3) offer to request authorization
// again. A refused refresh token is kept: after the patient re-approves, the
// same token works again.
//
// POST /refresh answers JSON to `Accept: application/json` (what the gateway
// answered, and a digest of the refresh token used — never the token), for
// scripts: scripts/demo and the integration test.
import crypto from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import tls from 'node:tls';
import { parseArgs } from 'node:util';

import { escapeHtml, page } from './lib/html.js';

const { values: flags } = parseArgs({
  options: {
    page_listen: { type: 'string', default: '127.0.0.1:0' },
    tls_listen: { type: 'string', default: '127.0.0.1:0' },
    cert: { type: 'string' },
    key: { type: 'string' },
    host: { type: 'string' },
    gateway: { type: 'string' },
    client_id: { type: 'string' },
    name: { type: 'string', default: 'Heart Helper' },
  },
});
for (const required of ['cert', 'key', 'host', 'gateway', 'client_id']) {
  if (!flags[required]) {
    process.stderr.write(`patient-app: --${required} is required\n`);
    process.exit(2);
  }
}

const pending = new Map(); // state → PKCE verifier of an authorization under way
const app = { tokens: undefined, last: undefined };
let endpoints;

function hostPort(address) {
  const i = address.lastIndexOf(':');
  return [address.slice(0, i), Number(address.slice(i + 1))];
}
const redirectUri = () => `https://${flags.host}:${tlsServer.address().port}/callback`;
const digest = (token) => crypto.createHash('sha256').update(token).digest('hex').slice(0, 16);

async function discover() {
  endpoints ??= await (await fetch(`${flags.gateway}/.well-known/openid-configuration`)).json();
  return endpoints;
}

async function tokenRequest(form) {
  const { token_endpoint: url } = await discover();
  const response = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded', Accept: 'application/json' },
    body: new URLSearchParams({ client_id: flags.client_id, ...form }),
  });
  return { status: response.status, retryAfter: response.headers.get('retry-after'), body: await response.json() };
}

function redirect(res, location) {
  res.writeHead(303, { Location: location, 'Cache-Control': 'no-store' });
  res.end();
}

function html(res, status, body) {
  res.writeHead(status, { 'Content-Type': 'text/html; charset=utf-8', 'Cache-Control': 'no-store' });
  res.end(body);
}

function outcome() {
  const { last } = app;
  if (!last) return '';
  if (last.status === 200) return '<p>Your health record is up to date.</p>';
  if (last.body.error === 'invalid_grant') {
    return `<div class="notice" id="suspended">
<p>${escapeHtml(flags.name)}'s access to your health record may have been suspended.</p>
${last.body.error_uri ? `<p><a id="more-information" href="${escapeHtml(last.body.error_uri)}">More information</a></p>` : ''}
<form method="get" action="/authorize"><button id="authorize-again" type="submit">Request authorization again</button></form>
</div>`;
  }
  if (last.status === 503) {
    return '<p class="notice">Your health record cannot be reached right now. The app will try again later.</p>';
  }
  return `<p class="notice">The refresh failed: ${escapeHtml(last.body.error)}.</p>`;
}

// The app's own page (plain HTTP on loopback).
async function onPage(req, res) {
  const url = new URL(req.url, 'http://page');
  if (req.method === 'GET' && url.pathname === '/') {
    html(res, 200, page(flags.name, `<h1>${escapeHtml(flags.name)}</h1>
${app.tokens ? '<p>Connected to your health record.</p>' : '<p>Not connected.</p>'}
${outcome()}
${app.tokens ? '<form method="post" action="/refresh"><button type="submit">Refresh now</button></form>'
    : '<form method="get" action="/authorize"><button type="submit">Connect</button></form>'}`));
    return;
  }
  if (req.method === 'GET' && url.pathname === '/authorize') {
    const { authorization_endpoint: endpoint } = await discover();
    const state = crypto.randomBytes(16).toString('base64url');
    const verifier = crypto.randomBytes(32).toString('base64url');
    pending.set(state, verifier);
    redirect(res, `${endpoint}?${new URLSearchParams({
      client_id: flags.client_id,
      response_type: 'code',
      redirect_uri: redirectUri(),
      scope: 'openid offline_access',
      prompt: 'consent',
      state,
      code_challenge: crypto.createHash('sha256').update(verifier).digest('base64url'),
      code_challenge_method: 'S256',
    })}`);
    return;
  }
  if (req.method === 'POST' && (url.pathname === '/refresh' || url.pathname === '/disconnect')) {
    let answer = { status: 409, body: { error: 'not_connected' } };
    if (app.tokens && url.pathname === '/refresh') {
      const sent = app.tokens.refresh_token;
      const got = await tokenRequest({ grant_type: 'refresh_token', refresh_token: sent });
      answer = { ...got, refreshTokenDigest: digest(sent) };
      // A refused refresh token is kept: it works again after re-approval.
      if (got.status === 200) app.tokens = { ...app.tokens, ...got.body };
      app.last = got;
    } else if (app.tokens) {
      const { revocation_endpoint: endpoint } = await discover();
      const response = await fetch(endpoint, {
        method: 'POST',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
        body: new URLSearchParams({ client_id: flags.client_id, token: app.tokens.refresh_token, token_type_hint: 'refresh_token' }),
      });
      answer = { status: response.status, body: {} };
      app.tokens = undefined;
      app.last = undefined;
    }
    if ((req.headers.accept ?? '').includes('application/json')) {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify({
        status: answer.status,
        retry_after: answer.retryAfter ?? undefined,
        body: answer.body.access_token ? { token_type: answer.body.token_type } : answer.body,
        refresh_token_sha256: answer.refreshTokenDigest,
      }));
    } else {
      redirect(res, '/');
    }
    return;
  }
  html(res, 404, page('Not found', '<p>Not found.</p>'));
}

// The app's website at its redirect host (HTTPS).
async function onWebsite(req, res) {
  const url = new URL(req.url, `https://${flags.host}`);
  if (url.pathname === '/callback') {
    const verifier = pending.get(url.searchParams.get('state'));
    pending.delete(url.searchParams.get('state'));
    if (!verifier || !url.searchParams.get('code')) {
      html(res, 400, page('Not connected', `<p>Not connected: ${escapeHtml(url.searchParams.get('error') ?? 'unknown request')}.</p>`));
      return;
    }
    const got = await tokenRequest({
      grant_type: 'authorization_code',
      code: url.searchParams.get('code'),
      redirect_uri: redirectUri(),
      code_verifier: verifier,
    });
    if (got.status === 200) {
      app.tokens = got.body;
      app.last = undefined;
    }
    redirect(res, `http://${pageServer.address().address}:${pageServer.address().port}/`);
    return;
  }
  html(res, 200, page(flags.name, `<h1>${escapeHtml(flags.name)}</h1><p>Your heart, looked after.</p>`));
}

const fail = (res) => (error) => {
  process.stderr.write(`patient-app: ${error.stack}\n`);
  if (!res.headersSent) res.writeHead(500);
  res.end();
};
const tlsServer = https.createServer({
  // Read at every handshake: the website's certificate is whatever the files
  // hold now.
  SNICallback: (servername, done) => {
    try {
      done(null, tls.createSecureContext({ cert: fs.readFileSync(flags.cert), key: fs.readFileSync(flags.key) }));
    } catch (error) {
      done(error);
    }
  },
}, (req, res) => { onWebsite(req, res).catch(fail(res)); });
const pageServer = http.createServer((req, res) => { onPage(req, res).catch(fail(res)); });

for (const [server, address, name] of [[tlsServer, flags.tls_listen, 'tls'], [pageServer, flags.page_listen, 'page']]) {
  const [host, port] = hostPort(address);
  await new Promise((resolve) => { server.listen(port, host, resolve); });
  process.stdout.write(`patient-app: ${name} listening on ${host}:${server.address().port}\n`);
}
const stop = () => {
  for (const server of [tlsServer, pageServer]) { server.close(); server.closeAllConnections(); }
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
