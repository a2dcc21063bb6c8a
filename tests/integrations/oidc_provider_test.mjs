// The reference gateway (integrations/oidc-provider: node oidc-provider 9)
// against the real apptrust-store and apptrust-decision, end to end and in
// order: a patient approves a patient app whose redirect host is a real TLS
// server named in a real dnsmasq (authorization code + PKCE, consent) → the
// grant is enrolled; a refresh succeeds; the app's certificate expires; the
// next refresh is HTTP 400 invalid_grant with AppTrust's error_uri, whose
// page names the reason; the patient app says so in Chromium (the link opens
// that page, the button starts a new authorization); the app fixes its
// certificate, which alone changes nothing; the patient re-approves and the
// same refresh token works again; AppTrust down fails closed with a retriable
// 503; revocation deletes the grant in AppTrust.
//
// Environment (set by tests/integrations/CMakeLists.txt): APPTRUST_OIDC_DIR
// (the gateway in the build tree), APPTRUST_LOCAL_WORLD, APPTRUST_PROTO_DIR,
// APPTRUST_CTL, APPTRUST_CHROMIUM.
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';

import { HeadlessChromium } from './headless_chromium.mjs';

const env = process.env;
const { startStory } = await import(path.join(env.APPTRUST_OIDC_DIR, 'story/processes.js'));
const { PatientBrowser } = await import(path.join(env.APPTRUST_OIDC_DIR, 'story/patient_browser.js'));

let story;
let patient;
let suspended; // the app's answer to the refused refresh

// POST /refresh on the patient app: what the gateway answered it.
async function refresh() {
  const response = await fetch(`${story.app}/refresh`, { method: 'POST', headers: { Accept: 'application/json' } });
  assert.equal(response.status, 200);
  return response.json();
}

// The operator's view of AppTrust: apptrustctl against the store.
function ctl(...args) {
  return JSON.parse(execFileSync(env.APPTRUST_CTL, [...args, `--store=${story.world.store}`,
    `--tenant=${story.world.tenant}`, '--json'], { encoding: 'utf8' }));
}
const grants = () => ctl('grant', 'list').grants ?? [];
const auditActions = (grantId) => (ctl('audit', `--grant=${grantId}`).entries ?? []).map((e) => e.action);

before(async () => {
  // In the working directory (CTest: <build>/tests/integrations), replaced
  // by every run: the children's logs, kept for a failed run.
  const logDir = path.resolve('oidc-provider-logs');
  fs.rmSync(logDir, { recursive: true, force: true });
  fs.mkdirSync(logDir);
  story = await startStory({ worldBinary: env.APPTRUST_LOCAL_WORLD, protoDir: env.APPTRUST_PROTO_DIR, logDir });
  patient = new PatientBrowser({ dnsServer: story.world.dns, trustRootPath: story.world.trust_root });
});

after(async () => {
  await story?.stop();
  if (story) process.stderr.write(`logs of the gateway, the app and the services: ${story.logDir}\n`);
});

test('the patient approves the app (code + PKCE, consent): the grant is enrolled', async () => {
  assert.deepEqual(grants(), []);
  const page = await patient.approveApp(story.app);
  assert.equal(page.url, `${story.app}/`);
  assert.match(page.body, /Connected to your health record/);
  // The consent page showed what AppTrust saw on the app's website.
  assert.match(patient.consentPage, /heart\.test/);
  assert.match(patient.consentPage, /Example Health, Inc\./);

  const [grant, ...others] = grants();
  assert.deepEqual(others, []);
  assert.equal(grant.client_id, story.world.client_id);
  assert.equal(grant.redirect_uri, story.redirectUri);
  assert.equal(grant.state, 'GRANT_STATE_ACTIVE');
  assert.equal(grant.persona, 'PERSONA_PATIENT');
  assert.equal(grant.application_name, 'Heart Helper');
});

test('a refresh of the approved app succeeds', async () => {
  const answer = await refresh();
  assert.equal(answer.status, 200, JSON.stringify(answer));
  assert.equal(answer.body.token_type, 'Bearer');
});

test('after the app certificate expired, the refresh is 400 invalid_grant with error_uri', async () => {
  await story.command('expire');
  suspended = await refresh();
  assert.equal(suspended.status, 400, JSON.stringify(suspended));
  assert.equal(suspended.body.error, 'invalid_grant');
  assert.match(suspended.body.error_description, /certificate expired/);
  assert.ok(suspended.body.error_uri.startsWith(
    `${story.world.web}/errors/urn:apptrust:error:refresh-suspended:tls-cert-expired/instances/`,
  ), suspended.body.error_uri);
  assert.equal(grants()[0].state, 'GRANT_STATE_SUSPENDED');
});

test('the error_uri serves the explanation page naming the reason', async () => {
  const response = await fetch(suspended.body.error_uri);
  assert.equal(response.status, 200);
  assert.match(response.headers.get('content-type'), /^text\/html/);
  const body = await response.text();
  assert.match(body, /certificate expired/);
  assert.match(body, /TLS_CERT_EXPIRED|tls-cert-expired/);
  assert.match(body, /heart\.test/);
});

test('in Chromium the app says access may be suspended, links error_uri, offers to ask again', async () => {
  const dir = story.logDir;
  const browser = await HeadlessChromium.start({
    binary: env.APPTRUST_CHROMIUM || 'chromium',
    profileDir: path.join(dir, 'profile'),
    logPath: path.join(dir, 'chromium.log'),
  });
  try {
    await browser.open(`${story.app}/`);
    assert.match(await browser.evaluate('document.body.innerText'), /access to your health record may have been suspended/);
    assert.equal(await browser.evaluate('document.querySelector("#more-information").textContent'), 'More information');
    assert.equal(await browser.evaluate('document.querySelector("#more-information").href'), suspended.body.error_uri);

    await browser.clickAndWait('#more-information');
    assert.equal(await browser.evaluate('location.href'), suspended.body.error_uri);
    assert.match(await browser.evaluate('document.body.innerText'), /certificate expired/);

    await browser.open(`${story.app}/`);
    await browser.clickAndWait('#authorize-again');
    const url = new URL(await browser.evaluate('location.href'));
    assert.equal(url.origin, story.gateway);
    assert.match(url.pathname, /^\/interaction\//);
    assert.equal(await browser.evaluate('document.querySelector("h1").textContent'), 'Sign in');
  } finally {
    await browser.close();
    fs.rmSync(path.join(dir, 'profile'), { recursive: true, force: true });
  }
});

test('a fixed certificate alone does not lift the suspension; re-approval does, for the same refresh token', async () => {
  await story.command('renew');
  const still = await refresh();
  assert.equal(still.status, 400, JSON.stringify(still));
  assert.equal(still.body.error_uri, suspended.body.error_uri);

  // The patient approves again. The code the gateway then sends to the app is
  // left undelivered: the app keeps the refresh token it was refused.
  const approved = await patient.approveApp(story.app, { toApp: false });
  assert.equal(approved.status, 303);
  assert.ok(approved.location.startsWith(`${story.redirectUri}?code=`), approved.location);

  const again = await refresh();
  assert.equal(again.status, 200, JSON.stringify(again));
  assert.equal(again.refresh_token_sha256, suspended.refresh_token_sha256);
  const [grant] = grants();
  assert.equal(grant.state, 'GRANT_STATE_ACTIVE');
  assert.deepEqual(auditActions(grant.grant_id),
    ['AUDIT_ACTION_ENROLLED', 'AUDIT_ACTION_SUSPENDED', 'AUDIT_ACTION_REAPPROVED']);
});

test('with AppTrust down the refresh fails closed, retriably; the token still works once it is back', async () => {
  await story.command('stop-decision');
  const down = await refresh();
  assert.equal(down.status, 503, JSON.stringify(down));
  assert.equal(down.body.error, 'temporarily_unavailable');
  assert.equal(down.retry_after, '5');
  assert.equal(down.body.error_uri, undefined);

  // Nothing was consumed: once AppTrust is back, the same token refreshes.
  // The app retries as the 503 asks (the gateway's channel reconnects with
  // its own backoff, so the first retries may still find AppTrust away).
  await story.command('start-decision');
  let back = await refresh();
  for (let i = 0; i < 120 && back.status === 503; i += 1) {
    await new Promise((resolve) => { setTimeout(resolve, 250); });
    back = await refresh();
  }
  assert.equal(back.status, 200, JSON.stringify(back));
  assert.equal(back.refresh_token_sha256, down.refresh_token_sha256);
});

test('revoking the refresh token deletes the grant in AppTrust', async () => {
  const response = await fetch(`${story.app}/disconnect`, { method: 'POST', headers: { Accept: 'application/json' } });
  assert.equal((await response.json()).status, 200);
  // DeleteGrant follows the revocation (oidc-provider's grant.revoked event).
  for (let i = 0; i < 200 && grants().length > 0; i += 1) {
    await new Promise((resolve) => { setTimeout(resolve, 50); });
  }
  assert.deepEqual(grants(), []);
});
