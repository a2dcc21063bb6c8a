// CheckRefresh on every refresh_token grant, at the one point oidc-provider 9
// offers between "this refresh token is valid" and "this refresh token is
// consumed": its rotateRefreshToken hook, which the refresh_token grant awaits
// after authenticating the client and validating the token, its grant, its
// account and its replay state, and before it consumes or rotates anything.
// So a refused refresh leaves the refresh token exactly as it was: once the
// patient approves the app again, the same token works.
//
// Answers to the app:
// - ALLOW: the refresh continues as oidc-provider would do it.
// - SUSPEND: RFC 6749 §5.2, HTTP 400, {"error": "invalid_grant",
//   "error_description", "error_uri"} exactly as AppTrust returned them (they
//   obey §5.2's character sets). oidc-provider's own error rendering knows no
//   error_uri, so the response is written after it, by refusalResponses().
// - AppTrust unreachable, overloaded or out of time (after the client's
//   retries of UNAVAILABLE and ABORTED): fail closed, but retriably. HTTP 503
//   with Retry-After and {"error": "temporarily_unavailable"}. Not
//   invalid_grant: an app must keep its refresh token and try again later,
//   not send the patient through a new approval because AppTrust was down.
//   (RFC 6749 §5.2 lists no retriable token-endpoint error;
//   temporarily_unavailable is the registered OAuth error for "try later",
//   and 503 + Retry-After is what HTTP clients and proxies already obey.)
// - NOT_FOUND (AppTrust has no such grant: it was never enrolled, e.g.
//   issued before this gateway called AppTrust): invalid_grant without
//   error_uri, so the app asks the patient to approve it again, which enrolls.
// - Anything else (INVALID_ARGUMENT: a bug here): server_error, HTTP 500.
import { errors } from 'oidc-provider';

import { GrpcStatus } from './apptrust_client.js';
import { logLine } from './log.js';

const RETRY_AFTER_SECONDS = 5;
const refusals = new WeakMap();

// oidc-provider's default rotation policy (lib/helpers/defaults.js), applied
// after an ALLOW: rotate the refresh tokens of public clients that are not
// sender-constrained, unless the grant has lived a year.
function defaultRotation(ctx) {
  const { RefreshToken: refreshToken, Client: client } = ctx.oidc.entities;
  if (refreshToken.totalLifetime() >= 365.25 * 24 * 60 * 60) return false;
  if (client.clientAuthMethod === 'none' && !refreshToken.isSenderConstrained()) return true;
  return refreshToken.ttlPercentagePassed() >= 70;
}

function refuse(ctx, status, body, headers = {}) {
  refusals.set(ctx, { status, body, headers });
  // Stops the grant here; the response is replaced by refusalResponses().
  throw new errors.CustomOIDCProviderError(body.error, body.error_description ?? body.error);
}

// The rotateRefreshToken configuration value.
export function checkedRotation({ apptrust, tenantId, redirectUriOf }) {
  return async function rotateRefreshToken(ctx) {
    const { Client: client, Grant: grant } = ctx.oidc.entities;
    const request = {
      tenant_id: tenantId,
      client_id: client.clientId,
      grant_id: grant.jti,
      redirect_uri: redirectUriOf(client) ?? '',
    };
    let answer;
    try {
      answer = await apptrust.checkRefresh(request);
    } catch (error) {
      logLine('CheckRefresh failed', { grant_id: grant.jti, code: error.code, detail: error.details });
      if (error.code === GrpcStatus.NOT_FOUND) {
        refuse(ctx, 400, {
          error: 'invalid_grant',
          error_description: 'This approval of the app must be renewed by the patient.',
        });
      }
      if (error.code === GrpcStatus.INVALID_ARGUMENT) {
        refuse(ctx, 500, { error: 'server_error', error_description: 'The refresh could not be checked.' });
      }
      refuse(ctx, 503, {
        error: 'temporarily_unavailable',
        error_description: 'The refresh could not be checked now; keep the refresh token and retry later.',
      }, { 'Retry-After': String(RETRY_AFTER_SECONDS) });
    }
    logLine('CheckRefresh', {
      grant_id: grant.jti,
      verdict: answer.verdict,
      enforced: answer.enforced,
      reasons: answer.findings.filter((f) => f.suspends).map((f) => f.reason),
    });
    if (answer.verdict === 'VERDICT_SUSPEND') {
      refuse(ctx, 400, {
        error: answer.error,
        error_description: answer.error_description,
        error_uri: answer.error_uri,
      });
    }
    if (answer.verdict !== 'VERDICT_ALLOW') {
      refuse(ctx, 500, { error: 'server_error', error_description: 'The refresh could not be checked.' });
    }
    return defaultRotation(ctx);
  };
}

// provider.use() middleware: writes the response of a refused refresh after
// oidc-provider's error handler ran (it would drop error_uri).
export function refusalResponses() {
  return async function writeRefusal(ctx, next) {
    await next();
    const refusal = refusals.get(ctx);
    if (!refusal) return;
    ctx.status = refusal.status;
    ctx.body = refusal.body;
    ctx.set('Cache-Control', 'no-store');
    ctx.set('Pragma', 'no-cache');
    for (const [name, value] of Object.entries(refusal.headers)) ctx.set(name, value);
  };
}
