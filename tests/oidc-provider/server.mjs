// The OpenID Connect provider the sign-in tests talk to: the maintained `oidc-provider` package on a free
// loopback port, with its development login and consent pages.
//
// Configuration is one JSON argument:
//   { "clients": [{ "client_id", "client_secret", "redirect_uris": [...] }],
//     "accounts": { "<login>": { "email", "email_verified", "name", ...any further claims } },
//     "id_token_claims": { ... },    // optional: claims to overwrite in every issued ID token (re-signed)
//     "id_token_foreign_key": true   // optional: re-sign every issued ID token with a key nobody published
//   }
// Once listening it prints one line of JSON, {"issuer": "http://127.0.0.1:<port>"}, and serves until killed.

import http from 'node:http';

import { SignJWT, decodeJwt, exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

const config = JSON.parse(process.argv[2] ?? '{}');
const accounts = config.accounts ?? {};

const { privateKey } = await generateKeyPair('RS256', { extractable: true });
const signingKey = { ...(await exportJWK(privateKey)), kid: 'test-key', alg: 'RS256', use: 'sig' };

const server = http.createServer();
server.listen(0, '127.0.0.1', async () => {
  const issuer = `http://127.0.0.1:${server.address().port}`;
  const provider = new Provider(issuer, {
    clients: config.clients ?? [],
    jwks: { keys: [signingKey] },
    cookies: { keys: ['test-cookie-key'] },
    // scope-granted claims go into the ID token itself, as most providers do
    conformIdTokenClaims: false,
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username', 'locale', 'department'],
    },
    pkce: { required: () => true },
    async findAccount(ctx, sub) {
      if (!Object.hasOwn(accounts, sub)) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...accounts[sub] }) };
    },
  });

  if (config.id_token_claims || config.id_token_foreign_key) {
    // a misbehaving token endpoint: ID tokens with other claims (for another client, an old one, another
    // nonce or issuer), or signed with a key that is not in the provider's published set
    const { privateKey: foreignKey } = await generateKeyPair('RS256');
    provider.use(async (ctx, next) => {
      await next();
      if (ctx.path === '/token' && ctx.body && typeof ctx.body === 'object' && ctx.body.id_token) {
        const claims = { ...decodeJwt(ctx.body.id_token), ...(config.id_token_claims ?? {}) };
        const key = config.id_token_foreign_key ? foreignKey : privateKey;
        ctx.body = {
          ...ctx.body,
          id_token: await new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid: signingKey.kid }).sign(key),
        };
      }
    });
  }

  server.on('request', provider.callback());
  process.stdout.write(`${JSON.stringify({ issuer })}\n`);
});
