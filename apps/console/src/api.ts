// The one API client: the SDK over the gateway's origin, with the signed-in user's token.
import { createAlprClient } from "@alpr/sdk";

import { accessToken } from "./session";

/**
 * `baseUrl: ""`: the page's own origin, where the gateway serves `/api/<service>/...`.
 * Every call is typed by the platform's merged OpenAPI document: a path, a body or a parameter
 * that the platform does not have fails `tsc`, and an error answer is typed as `Problem`.
 */
export const api = createAlprClient({ baseUrl: "", getToken: accessToken });
