import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import Provider from "oidc-provider";

// A real OpenID Connect provider on loopback for the console's tests: oidc-provider (a certified
// implementation) with its development sign-in pages (any password), and the people the tests sign
// in as, each with the groups the console maps to roles.

export interface Person {
  readonly email: string;
  readonly name: string;
  readonly groups: readonly string[];
}

export interface TestProvider {
  readonly issuer: string;
  readonly clientId: string;
  readonly clientSecret: string;
  close(): Promise<void>;
}

export async function startOidcProvider(opts: { redirectUri: string; people: Readonly<Record<string, Person>> }): Promise<TestProvider> {
  const server: Server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const a = server.address();
  const issuer = `http://127.0.0.1:${typeof a === "object" && a !== null ? a.port : 0}`;
  const clientId = "baton-console";
  const clientSecret = randomBytes(24).toString("base64url");
  const provider = new Provider(issuer, {
    clients: [{ client_id: clientId, client_secret: clientSecret, redirect_uris: [opts.redirectUri], grant_types: ["authorization_code"], response_types: ["code"], token_endpoint_auth_method: "client_secret_basic" }],
    scopes: ["openid", "email", "profile", "groups"],
    claims: { openid: ["sub"], email: ["email"], profile: ["name"], groups: ["groups"] },
    pkce: { required: () => true },
    cookies: { keys: [randomBytes(32).toString("hex")] },
    ttl: { Interaction: 600, Session: 3600, Grant: 3600, AccessToken: 600, IdToken: 600, AuthorizationCode: 60 },
    async findAccount(_ctx, id) {
      const person = opts.people[id];
      if (person === undefined) return undefined;
      return { accountId: id, claims: async () => ({ sub: id, email: person.email, name: person.name, groups: [...person.groups] }) };
    },
  });
  // No console noise about the development sign-in pages: they are what this provider is for.
  provider.on("server_error", (_ctx, err) => process.stderr.write(`oidc-provider: ${String(err)}\n`));
  server.on("request", provider.callback());
  return {
    issuer,
    clientId,
    clientSecret,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
