// The gateway's own sign-in and consent pages (oidc-provider leaves these to
// the integrator). Consent is where AppTrust comes in: the page shows what
// AppTrust's Inspect says about the app's website, and approving an app that
// asked for offline_access calls Enroll for the grant before any token is
// issued. If Enroll fails, the approval fails: no refresh token exists that
// AppTrust could not check.
import { escapeHtml, page, readForm } from './html.js';
import { logLine } from './log.js';

const LABELS = {
  LABEL_VALIDATED: 'Validated',
  LABEL_IDENTIFIED: 'Identified',
  LABEL_UNKNOWN_APP: 'Unknown App',
};

function send(res, status, html) {
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Cache-Control': 'no-store',
    'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http: https:",
  });
  res.end(html);
}

function loginPage(uid, client, failed) {
  return page('Sign in', `<h1>Sign in</h1>
<p>${escapeHtml(client.clientName ?? client.clientId)} asks to connect to your health record.</p>
${failed ? '<p class="notice">Wrong user name or password.</p>' : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<p><label>User name <input name="username" autocomplete="username"></label></p>
<p><label>Password <input name="password" type="password" autocomplete="current-password"></label></p>
<p><button type="submit">Sign in</button></p></form>`);
}

function consentPage(uid, client, scopes, identity) {
  const shown = identity
    ? `<p>Website: <strong>${escapeHtml(identity.domain)}</strong>
 (${escapeHtml(LABELS[identity.label] ?? 'Unknown App')})${identity.organization_name
    ? `, run by <strong>${escapeHtml(identity.organization_name)}</strong>, ${escapeHtml(identity.organization_location)}` : ''}</p>`
    : '<p class="notice">The app\'s website could not be checked right now.</p>';
  return page('Approve app', `<h1>Approve ${escapeHtml(identity?.application_name || client.clientName || client.clientId)}?</h1>
${shown}
<p>It asks for: ${scopes.map(escapeHtml).join(', ')}.</p>
${scopes.includes('offline_access') ? '<p>It stays connected until you remove it, as long as its website stays what you see here.</p>' : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/confirm"><button type="submit">Approve</button></form>
<form method="post" action="/interaction/${escapeHtml(uid)}/abort"><button type="submit">Deny</button></form>`);
}

// Handles /interaction/<uid>[/login|/confirm|/abort]. Returns false for any
// other path. accounts: Map username → { accountId, password }.
export function interactionRoutes({ provider, apptrust, tenantId, accounts, clientSettings, grantIndex }) {
  return async function handle(req, res) {
    const match = /^\/interaction\/([\w-]+)(?:\/(login|confirm|abort))?$/.exec(
      new URL(req.url, 'http://x').pathname,
    );
    if (!match) return false;
    const [, uid, action] = match;
    const details = await provider.interactionDetails(req, res);
    if (details.uid !== uid) return false;
    const { prompt, params, session } = details;
    const client = await provider.Client.find(params.client_id);

    if (req.method === 'GET' && !action) {
      if (prompt.name === 'login') {
        send(res, 200, loginPage(uid, client, false));
        return true;
      }
      const scopes = String(params.scope ?? '').split(' ').filter(Boolean);
      let identity;
      try {
        ({ identity } = await apptrust.inspect({
          redirect_uri: params.redirect_uri,
          client_id: client.clientId,
          application_name: client.clientName ?? '',
        }));
      } catch (error) {
        logLine('Inspect failed', { client_id: client.clientId, code: error.code });
      }
      send(res, 200, consentPage(uid, client, scopes, identity));
      return true;
    }
    if (req.method !== 'POST') return false;

    if (action === 'abort') {
      await provider.interactionFinished(req, res, {
        error: 'access_denied', error_description: 'The patient did not approve the app.',
      }, { mergeWithLastSubmission: false });
      return true;
    }
    if (action === 'login') {
      const form = await readForm(req);
      const account = accounts.get(form.username);
      if (!account || account.password !== form.password) {
        send(res, 200, loginPage(uid, client, true));
        return true;
      }
      await provider.interactionFinished(req, res, { login: { accountId: account.accountId } },
        { mergeWithLastSubmission: false });
      return true;
    }

    // confirm: the patient approved.
    const { accountId } = session;
    let grant = details.grantId ? await provider.Grant.find(details.grantId) : undefined;
    grant ??= new provider.Grant({ accountId, clientId: client.clientId });
    const missing = prompt.details;
    if (missing.missingOIDCScope) grant.addOIDCScope(missing.missingOIDCScope.join(' '));
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    for (const [indicator, scopes] of Object.entries(missing.missingResourceScopes ?? {})) {
      grant.addResourceScope(indicator, scopes.join(' '));
    }
    const grantId = await grant.save();
    grantIndex.set(`${accountId} ${client.clientId}`, grantId);

    if (grant.getOIDCScope().split(' ').includes('offline_access')) {
      const settings = clientSettings(client);
      try {
        const enrolled = await apptrust.enroll({
          tenant_id: tenantId,
          client_id: client.clientId,
          grant_id: grantId,
          redirect_uri: params.redirect_uri,
          application_name: client.clientName ?? '',
          persona: settings.persona,
          validated: settings.validated,
        });
        logLine('Enroll', { grant_id: grantId, client_id: client.clientId, label: enrolled.identity?.label });
      } catch (error) {
        logLine('Enroll failed', { grant_id: grantId, code: error.code, detail: error.details });
        send(res, 503, page('Try again', `<h1>The app could not be approved right now</h1>
<p>Please try again in a few minutes.</p>
<form method="post" action="/interaction/${escapeHtml(uid)}/confirm"><button type="submit">Try again</button></form>`));
        return true;
      }
    }
    await provider.interactionFinished(req, res, { consent: { grantId } },
      { mergeWithLastSubmission: true });
    return true;
  };
}
