/**
 * Browser sign-in: OAuth 2.0 authorization code with PKCE (RFC 6749 4.1, RFC 7636), as a
 * public client (`alpr-ui`, no secret), written out with plain browser APIs so that an integrator
 * sees every step. A production front end may use a certified library instead; the steps and
 * the checks are the same.
 *
 * 1. Find the issuer. The platform's merged OpenAPI document (`/api/openapi.json`) declares an
 *    `openIdConnect` security scheme whose `openIdConnectUrl` is the issuer's discovery
 *    document: the console needs no configuration, whichever issuer (the development one,
 *    Keycloak) the platform trusts.
 * 2. Send the browser to the `authorization_endpoint` with a fresh `state` and the S256
 *    challenge of a fresh verifier, both kept in `sessionStorage` (this tab only).
 * 3. Back at the redirect URI (the console's root) with `?code=&state=`: check the state, then
 *    exchange the code and the verifier at the `token_endpoint` (the issuer allows this origin
 *    by CORS). The code leaves the address bar at once.
 *
 * The access token is kept in `sessionStorage` as well: it survives a reload, not the tab, and
 * is sent only to the gateway (same origin) by the SDK's `getToken`.
 */

export const CLIENT_ID = "alpr-ui";
const PENDING_KEY = "alpr.console.sign-in";
const TOKEN_KEY = "alpr.console.token";

interface Discovery {
  issuer: string;
  authorization_endpoint: string;
  token_endpoint: string;
}

interface PendingSignIn {
  state: string;
  verifier: string;
  redirectUri: string;
}

interface StoredToken {
  accessToken: string;
  expiresAt: number; // epoch ms
}

/** Who the token says is signed in (read for display only: the services verify the token). */
export interface Identity {
  sub: string;
  name: string;
  agency: string;
  roles: string[];
}

/** Where the issuer answers this client's code: the console's own root, on its own origin. */
export function redirectUri(): string {
  return `${window.location.origin}/`;
}

/** Step 1: the issuer's endpoints, from the `openIdConnect` scheme of the merged document. */
export async function discover(): Promise<Discovery> {
  // Plain fetch: the document and discovery are public and not API operations of the SDK.
  const document = await getJson("/api/openapi.json");
  const schemes: Record<string, { type?: string; openIdConnectUrl?: string }> =
    document.components?.securitySchemes ?? {};
  const oidc = Object.values(schemes).find((scheme) => scheme.type === "openIdConnect");
  if (!oidc?.openIdConnectUrl) throw new Error("The platform's document names no OpenID Connect issuer.");
  return (await getJson(oidc.openIdConnectUrl)) as Discovery;
}

/** Step 2: off to the issuer's sign-in page. */
export async function signIn(): Promise<void> {
  const { authorization_endpoint } = await discover();
  const pending: PendingSignIn = {
    state: randomString(),
    verifier: randomString(),
    redirectUri: redirectUri(),
  };
  sessionStorage.setItem(PENDING_KEY, JSON.stringify(pending));
  const url = new URL(authorization_endpoint);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: CLIENT_ID,
    redirect_uri: pending.redirectUri,
    state: pending.state,
    code_challenge: await s256(pending.verifier),
    code_challenge_method: "S256",
  }).toString();
  window.location.assign(url.toString());
}

/**
 * Step 3, on every load: when the address carries the issuer's answer, finish the sign-in.
 * Returns an error message for a refused or forged answer; undefined otherwise.
 */
export async function completeSignIn(): Promise<string | undefined> {
  const params = new URLSearchParams(window.location.search);
  if (!params.has("code") && !params.has("error")) return undefined;
  const raw = sessionStorage.getItem(PENDING_KEY);
  sessionStorage.removeItem(PENDING_KEY); // one answer per sign-in, whatever it is
  window.history.replaceState(null, "", window.location.pathname); // the code leaves the address bar
  const pending = raw ? (JSON.parse(raw) as PendingSignIn) : undefined;
  // The state ties the answer to the sign-in this tab started (no answer forged by another site).
  if (!pending || params.get("state") !== pending.state)
    return "The sign-in answer does not match a sign-in started here.";
  if (params.has("error"))
    return `Sign-in refused: ${params.get("error_description") ?? params.get("error")}`;
  const { token_endpoint } = await discover();
  const response = await fetch(token_endpoint, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({
      grant_type: "authorization_code",
      code: params.get("code") ?? "",
      redirect_uri: pending.redirectUri,
      client_id: CLIENT_ID,
      code_verifier: pending.verifier,
    }),
  });
  const body = (await response.json()) as {
    access_token?: string;
    expires_in?: number;
    error_description?: string;
    error?: string;
  };
  if (!response.ok || !body.access_token)
    return `Sign-in failed: ${body.error_description ?? body.error ?? response.status}`;
  const stored: StoredToken = {
    accessToken: body.access_token,
    expiresAt: Date.now() + (body.expires_in ?? 300) * 1000,
  };
  sessionStorage.setItem(TOKEN_KEY, JSON.stringify(stored));
  return undefined;
}

/** The current access token, or undefined once it has expired (sign in again). */
export function accessToken(): string | undefined {
  const raw = sessionStorage.getItem(TOKEN_KEY);
  if (!raw) return undefined;
  const stored = JSON.parse(raw) as StoredToken;
  if (stored.expiresAt <= Date.now()) {
    sessionStorage.removeItem(TOKEN_KEY);
    return undefined;
  }
  return stored.accessToken;
}

/** Forgets the token (the development issuer keeps no session of its own to end). */
export function signOut(): void {
  sessionStorage.removeItem(TOKEN_KEY);
}

/** The token's claims, for the header line: decoded, not verified (that is the services' job). */
export function identity(): Identity | undefined {
  const token = accessToken();
  const payload = token?.split(".")[1];
  if (!payload) return undefined;
  const claims = JSON.parse(new TextDecoder().decode(base64UrlDecode(payload))) as Partial<Identity>;
  return {
    sub: claims.sub ?? "",
    name: claims.name ?? claims.sub ?? "",
    agency: claims.agency ?? "",
    roles: claims.roles ?? [],
  };
}

// --- PKCE and encoding helpers ---------------------------------------------------------------

/** 32 random bytes, base64url: a verifier (43 characters, RFC 7636 4.1) or a state. */
function randomString(): string {
  return base64Url(crypto.getRandomValues(new Uint8Array(32)));
}

/** The S256 challenge: base64url(SHA-256(verifier)). */
async function s256(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

function base64Url(bytes: Uint8Array): string {
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

function base64UrlDecode(text: string): Uint8Array {
  const base64 = text
    .replace(/-/g, "+")
    .replace(/_/g, "/")
    .padEnd(Math.ceil(text.length / 4) * 4, "=");
  return Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
}

async function getJson(url: string): Promise<any> {
  const response = await fetch(url, { headers: { Accept: "application/json" } });
  if (!response.ok) throw new Error(`${url} answered ${response.status}`);
  return response.json();
}
