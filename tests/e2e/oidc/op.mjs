// A real OpenID Connect provider (npm oidc-provider) for Warden's end-to-end tests: plain HTTP
// on a loopback port, one confidential client, and the provider's own development login and
// consent pages, which accept any login. Usage: node op.mjs PORT. Prints "ready" when listening.
import Provider from 'oidc-provider';

const port = Number(process.argv[2]);
const issuer = `http://127.0.0.1:${port}`;

const provider = new Provider(issuer, {
  clients: [
    {
      client_id: 'warden-app',
      client_secret: 'warden-app-secret',
      redirect_uris: ['https://app.example.com/callback'],
      response_types: ['code'],
      grant_types: ['authorization_code'],
      token_endpoint_auth_method: 'client_secret_post',
    },
  ],
  cookies: { keys: ['warden-e2e-cookie-key'] },
  pkce: { required: () => false },
  features: { devInteractions: { enabled: true } },
  async findAccount(ctx, id) {
    return { accountId: id, async claims() { return { sub: id }; } };
  },
});

provider.listen(port, '127.0.0.1', () => {
  console.log(`ready ${issuer}`);
});
