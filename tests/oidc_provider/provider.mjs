// A real OpenID provider (the npm package oidc-provider) for the SSO tests. Not a mock: the
// authorization, token, userinfo and JWKS endpoints are oidc-provider's own; this file only
// supplies the accounts, the clients, the sign-in page and a few test-only twists that are
// written down below. It listens on 127.0.0.1 only and keeps everything in memory.
//
// Environment:
//   PORT           listen on 127.0.0.1:PORT; the issuer is http://127.0.0.1:PORT
//   ACCOUNTS_FILE  JSON {"<username>": {"password", "email", "name", "groups": [...], "unit"}};
//                  read again on every look-up, so a test can change or remove a person between
//                  two sign-ins (optional per person: "email_verified", default true)
//   CLIENTS_FILE   JSON [{"client_id", "client_secret"}, ...] (or CLIENTS_JSON with the same text)
//
// Run it with `node provider.mjs` after `npm ci` in this folder. Not for production use.

import { readFileSync } from 'node:fs';
import { createServer } from 'node:http';

import { CompactSign, decodeJwt, decodeProtectedHeader, exportJWK, generateKeyPair } from 'jose';
import Provider, { interactionPolicy } from 'oidc-provider';

const log = (...args) => console.error('[oidc-test-provider]', ...args);

function required(name) {
  const value = process.env[name];
  if (!value) {
    log(`environment variable ${name} is required`);
    process.exit(2);
  }
  return value;
}

const PORT = Number.parseInt(required('PORT'), 10);
const ACCOUNTS_FILE = required('ACCOUNTS_FILE');
const ISSUER = `http://127.0.0.1:${PORT}`;

// --- Accounts ----------------------------------------------------------------------------------
// Read on every look-up: no cache, so the test's file is the only truth.
function readAccounts() {
  return JSON.parse(readFileSync(ACCOUNTS_FILE, 'utf8'));
}

function lookUpAccount(username) {
  if (typeof username !== 'string' || !username) return undefined;
  const accounts = readAccounts();
  return Object.hasOwn(accounts, username) ? accounts[username] : undefined;
}

function claimsOf(username, person) {
  return {
    sub: username,
    preferred_username: username,
    name: person.name ?? username,
    email: person.email,
    email_verified: person.email_verified ?? true,
    groups: person.groups ?? [],
    unit: person.unit ?? '',
  };
}

async function findAccount(ctx, sub) {
  const person = lookUpAccount(sub);
  if (!person) return undefined; // a removed person gets no tokens, even with a code in hand
  return {
    accountId: sub,
    async claims() {
      return claimsOf(sub, person);
    },
  };
}

// --- Clients -----------------------------------------------------------------------------------
const clientsText = process.env.CLIENTS_FILE
  ? readFileSync(process.env.CLIENTS_FILE, 'utf8')
  : required('CLIENTS_JSON');

// The callback the Django app registers. Its host varies (see redirectUriAllowed below), so the
// registered value only has to be a valid URL; the check that matters is the override.
const CALLBACK_PATH = '/login/sso/callback/';
const POST_LOGOUT_PATHS = new Set(['/']);
const ALLOWED_HOSTS = new Set(['testserver', '127.0.0.1', 'localhost']);

const clients = JSON.parse(clientsText).map(({ client_id: clientId, client_secret: secret }) => ({
  client_id: clientId,
  client_secret: secret,
  redirect_uris: [`http://testserver${CALLBACK_PATH}`],
  post_logout_redirect_uris: ['http://testserver/'],
  grant_types: ['authorization_code'],
  response_types: ['code'],
  // oidc-provider accepts client_secret_post too for a client registered with
  // client_secret_basic (both are "a shared secret"; lib/shared/client_auth.js), so Authlib's
  // default (basic) and form-posted secrets both work.
  token_endpoint_auth_method: 'client_secret_basic',
  id_token_signed_response_alg: 'RS256',
}));

// --- Keys --------------------------------------------------------------------------------------
// One RSA key signs everything. It is made here so that this script can re-sign ID tokens for
// the tamper clients with the real key; a second key carrying the SAME kid makes the
// "bad signature" token, so a relying party cannot tell it apart by its header.
const KID = 'pbr-test-signing-key';
const realKey = await generateKeyPair('RS256', { extractable: true });
const evilKey = await generateKeyPair('RS256', { extractable: true });
const privateJwk = { ...(await exportJWK(realKey.privateKey)), kid: KID, alg: 'RS256', use: 'sig' };

// --- Interaction policy ------------------------------------------------------------------------
// Every authorization request asks for the username and password again, even if this browser
// already has a session at the provider: a test can then remove a person, change their groups
// or tick "I used my second factor" and see the effect on the very next sign-in.
const { Check } = interactionPolicy;
const policy = interactionPolicy.base();
policy.get('login').checks.add(
  new Check('fresh_sign_in', 'this test provider asks for credentials on every sign-in', (ctx) =>
    ctx.oidc.result?.login ? Check.NO_NEED_TO_PROMPT : Check.REQUEST_PROMPT,
  ),
);

// --- Provider ----------------------------------------------------------------------------------
const SCOPE_CLAIMS = {
  // amr and acr ride with "openid", so every ID token carries them (oidc-provider only puts
  // claims in a token that a granted scope, or the claims parameter, asks for).
  openid: ['sub', 'amr', 'acr'],
  profile: ['name', 'preferred_username', 'groups', 'unit'],
  email: ['email', 'email_verified'],
  groups: ['groups', 'unit'],
};
const SUPPORTED_SCOPES = new Set(Object.keys(SCOPE_CLAIMS));
const ACR_PASSWORD = 'urn:pbr:test:acr:pwd';
const ACR_MFA = 'urn:pbr:test:acr:mfa';

function htmlEscape(value) {
  return String(value)
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}

function page(title, body) {
  return `<!DOCTYPE html>
<html lang="en">
<head><meta charset="utf-8"><title>${htmlEscape(title)}</title></head>
<body>
<main>
<h1>${htmlEscape(title)}</h1>
${body}
</main>
</body>
</html>
`;
}

const configuration = {
  clients,
  findAccount,
  jwks: { keys: [privateJwk] },
  claims: SCOPE_CLAIMS,
  scopes: [...SUPPORTED_SCOPES],
  acrValues: [ACR_PASSWORD, ACR_MFA],
  // Put the scope's claims in the ID token too, not only at userinfo.
  conformIdTokenClaims: false,
  // PKCE for every client, confidential ones included. oidc-provider 9 knows S256 only.
  pkce: { required: () => true },
  allowOmittingSingleRegisteredRedirectUri: false,
  responseTypes: ['code'],
  clientAuthMethods: ['client_secret_basic', 'client_secret_post'],
  features: {
    devInteractions: { enabled: false },
    resourceIndicators: { enabled: false },
    rpInitiatedLogout: { enabled: true },
    userinfo: { enabled: true },
  },
  interactions: {
    policy,
    url: (ctx, interaction) => `/interaction/${interaction.uid}`,
  },
  // Random per run. Plain http on loopback: the cookies are not "secure" (koa would refuse to
  // send secure cookies over http), which is oidc-provider's default when no proxy says https.
  cookies: {
    keys: [crypto.randomUUID(), crypto.randomUUID()],
  },
  ttl: {
    AccessToken: 3600,
    AuthorizationCode: 300,
    Grant: 3600,
    IdToken: 3600,
    Interaction: 3600,
    Session: 3600,
  },
  async renderError(ctx, out) {
    ctx.type = 'html';
    const text = [out.error, out.error_description].filter(Boolean).join(': ');
    ctx.body = page('Sign-in error', `<p id="error">${htmlEscape(text)}</p>`);
  },
};

const provider = new Provider(ISSUER, configuration);

// The Django app's callback is /login/sso/callback/ on whatever host the test runs it: the
// Django test client calls itself http://testserver, and live servers listen on
// http://127.0.0.1:<random port> or http://localhost:<random port>. oidc-provider compares
// redirect URIs exactly (loopback ports are only relaxed for native clients), so for these test
// clients exactly that path on exactly those hosts, any port, no query and no fragment, is
// allowed instead. Anything else (another host, another path) is still refused.
function allowedUri(value, paths) {
  let url;
  try {
    url = new URL(value);
  } catch {
    return false;
  }
  return (
    (url.protocol === 'http:' || url.protocol === 'https:') &&
    ALLOWED_HOSTS.has(url.hostname) &&
    paths.has(url.pathname) &&
    !url.username &&
    !url.password &&
    !url.search &&
    !url.hash &&
    !value.includes('#')
  );
}
const CALLBACK_PATHS = new Set([CALLBACK_PATH]);
provider.Client.prototype.redirectUriAllowed = function redirectUriAllowed(value) {
  return allowedUri(value, CALLBACK_PATHS);
};
provider.Client.prototype.postLogoutRedirectUriAllowed = function postLogoutRedirectUriAllowed(
  value,
) {
  return allowedUri(value, POST_LOGOUT_PATHS);
};

// --- Tamper clients ----------------------------------------------------------------------------
// For these client ids the ID token in the token response is replaced by one that a relying
// party must refuse. Everything else about them (sign-in, code, PKCE, secrets) is normal.
const TAMPER = {
  'pbr-wrong-aud': async (payload, header) =>
    sign({ ...payload, aud: 'someone-else' }, header, realKey.privateKey),
  'pbr-wrong-nonce': async (payload, header) =>
    sign({ ...payload, nonce: `not-${payload.nonce ?? 'the-nonce'}` }, header, realKey.privateKey),
  'pbr-bad-signature': async (payload, header) => sign(payload, header, evilKey.privateKey),
  'pbr-wrong-issuer': async (payload, header) =>
    sign({ ...payload, iss: 'http://issuer.invalid' }, header, realKey.privateKey),
};

async function sign(payload, header, key) {
  return new CompactSign(new TextEncoder().encode(JSON.stringify(payload)))
    .setProtectedHeader(header)
    .sign(key);
}

provider.use(async (ctx, next) => {
  await next();
  const clientId = ctx.oidc?.client?.clientId;
  if (
    ctx.method === 'POST' &&
    ctx.path === '/token' &&
    ctx.status === 200 &&
    Object.hasOwn(TAMPER, clientId) &&
    typeof ctx.body?.id_token === 'string'
  ) {
    const token = ctx.body.id_token;
    ctx.body = {
      ...ctx.body,
      id_token: await TAMPER[clientId](decodeJwt(token), decodeProtectedHeader(token)),
    };
    log(`tampered with the ID token for ${clientId}`);
  }
});

// --- Health check and interaction pages ----------------------------------------------------------
function loginPage(uid, clientId, { error, username } = {}) {
  const errorHtml = error ? `<p id="error" class="error" role="alert">${htmlEscape(error)}</p>` : '';
  return page(
    'Sign in to the test identity provider',
    `<p>Signing in to <strong>${htmlEscape(clientId)}</strong>.</p>
${errorHtml}
<form id="login-form" method="post" action="/interaction/${htmlEscape(uid)}" autocomplete="off">
  <p><label for="username">Username</label>
  <input id="username" name="username" type="text" value="${htmlEscape(username ?? '')}" required autofocus></p>
  <p><label for="password">Password</label>
  <input id="password" name="password" type="password" required></p>
  <p><input id="mfa" name="mfa" type="checkbox" value="yes">
  <label for="mfa">I used my second factor</label></p>
  <p><button id="sign-in" type="submit">Sign in</button></p>
</form>
<p><a id="cancel" href="/interaction/${htmlEscape(uid)}/abort">Cancel</a></p>`,
  );
}

async function readForm(ctx) {
  const chunks = [];
  let size = 0;
  for await (const chunk of ctx.req) {
    size += chunk.length;
    if (size > 64 * 1024) ctx.throw(413, 'form too large');
    chunks.push(chunk);
  }
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

// A first-party client: consent is granted without asking, for whatever openid scopes were
// requested (only the ones this provider knows).
async function grantFor(details, accountId) {
  const { params } = details;
  let grant;
  if (details.grantId) grant = await provider.Grant.find(details.grantId);
  if (!grant || grant.accountId !== accountId) {
    grant = new provider.Grant({ accountId, clientId: params.client_id });
  }
  const scopes = String(params.scope ?? '')
    .split(' ')
    .filter((scope) => SUPPORTED_SCOPES.has(scope));
  grant.addOIDCScope(scopes.join(' '));
  const missingClaims = details.prompt.details.missingOIDCClaims;
  if (Array.isArray(missingClaims) && missingClaims.length) grant.addOIDCClaims(missingClaims);
  return grant.save();
}

const INTERACTION = /^\/interaction\/([A-Za-z0-9_-]+)(\/abort)?$/;

provider.use(async (ctx, next) => {
  if (ctx.path === '/healthz') {
    ctx.type = 'text';
    ctx.body = 'ok';
    return;
  }
  const match = INTERACTION.exec(ctx.path);
  if (!match) {
    await next();
    return;
  }
  ctx.set('Cache-Control', 'no-store');
  const [, uid, abort] = match;
  let details;
  try {
    details = await provider.interactionDetails(ctx.req, ctx.res);
  } catch (err) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('Sign-in error', `<p id="error">${htmlEscape(err.message)}</p>`);
    return;
  }
  if (details.uid !== uid) {
    ctx.status = 400;
    ctx.type = 'html';
    ctx.body = page('Sign-in error', '<p id="error">interaction mismatch</p>');
    return;
  }
  const clientId = details.params.client_id;

  if (abort && ctx.method === 'GET') {
    const returnTo = await provider.interactionResult(ctx.req, ctx.res, {
      error: 'access_denied',
      error_description: 'End-User aborted interaction',
    });
    ctx.status = 303;
    ctx.redirect(returnTo);
    return;
  }

  if (details.prompt.name === 'consent') {
    // Only reached when a sign-in already happened in this browser session (the login page
    // below grants consent itself): grant it here, no page.
    const grantId = await grantFor(details, details.session.accountId);
    const returnTo = await provider.interactionResult(
      ctx.req,
      ctx.res,
      { consent: { grantId } },
      { mergeWithLastSubmission: true },
    );
    ctx.status = 303;
    ctx.redirect(returnTo);
    return;
  }

  if (ctx.method === 'GET') {
    ctx.type = 'html';
    ctx.body = loginPage(uid, clientId);
    return;
  }
  if (ctx.method !== 'POST') {
    ctx.status = 405;
    return;
  }

  const form = await readForm(ctx);
  const username = form.get('username') ?? '';
  const password = form.get('password') ?? '';
  const person = lookUpAccount(username);
  if (!person || typeof person.password !== 'string' || person.password !== password) {
    log(`refused sign-in for ${JSON.stringify(username)}`);
    ctx.status = 200;
    ctx.type = 'html';
    ctx.body = loginPage(uid, clientId, { error: 'Unknown user or wrong password', username });
    return;
  }

  const mfa = form.has('mfa');
  const grantId = await grantFor(details, username);
  const returnTo = await provider.interactionResult(
    ctx.req,
    ctx.res,
    {
      login: {
        accountId: username,
        amr: mfa ? ['pwd', 'mfa'] : ['pwd'],
        acr: mfa ? ACR_MFA : ACR_PASSWORD,
        remember: false,
      },
      consent: { grantId },
    },
    { mergeWithLastSubmission: false },
  );
  log(`signed in ${username} for ${clientId}${mfa ? ' with a second factor' : ''}`);
  ctx.status = 303;
  ctx.redirect(returnTo);
});

provider.on('server_error', (ctx, err) => log('server error:', err));
provider.on('grant.error', (ctx, err) => log('token endpoint refused:', err.message, err.error_description ?? ''));
provider.on('authorization.error', (ctx, err) =>
  log('authorization refused:', err.message, err.error_description ?? ''),
);

// --- Serve -------------------------------------------------------------------------------------
const server = createServer(provider.callback());
server.listen(PORT, '127.0.0.1', () => log(`listening, issuer ${ISSUER}`));

function stop(signal) {
  log(`${signal}: stopping`);
  server.close(() => process.exit(0));
  server.closeAllConnections();
  setTimeout(() => process.exit(0), 2000).unref();
}
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
