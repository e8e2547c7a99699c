/**
 * A typed call, as an integrator writes one: compiled by `npm run check` (`tsc --noEmit`) in
 * `make test`. A wrong path, method, body field or purpose is a compile error; the error branch
 * is a `Problem`.
 */
import { createAlprClient, describeProblem, type components, type Problem } from "@alpr/sdk";

type SearchRequest = components["schemas"]["SearchRequest"];
type SearchResponse = components["schemas"]["SearchResponse"];

const api = createAlprClient({ baseUrl: "https://alpr.example.org", getToken: () => "token" });

export async function searchPlate(plate: string): Promise<SearchResponse | Problem> {
  const body: SearchRequest = {
    purpose: "stolen_vehicle", // an enum: "shopping" would not compile
    case_number: "24-001234",
    plate,
    from: "2026-11-01T00:00:00Z",
    to: "2026-11-30T00:00:00Z",
  };
  const { data, error, response } = await api.POST("/api/search/v1/searches", { body });
  if (error) {
    // 4xx/5xx: the platform's RFC 9457 problem, typed.
    const problem: Problem = error;
    console.warn(response.status, describeProblem(problem), problem.errors?.length ?? 0);
    return problem;
  }
  const page: SearchResponse = data;
  return page;
}

export async function openAlertStream(): Promise<string | undefined> {
  // A one-time ticket for the alert stream (a browser's EventSource cannot send a token).
  const { data, error } = await api.POST("/api/hotlist/v1/alerts/stream-tickets");
  if (error) {
    const status: number = error.status;
    return `refused ${status}`;
  }
  return data.ticket;
}
