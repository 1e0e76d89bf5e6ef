// GraphQL over HTTP to /graphql, like any other frontend: POST JSON with the session's
// bearer token. Failures come back as three kinds of error the screens tell apart.

import * as session from "./session.js";

/** The session is gone (401 / UNAUTHENTICATED): sign in again. */
export class SessionExpired extends Error {}
/** The service could not be reached, or answered something that is not GraphQL. */
export class NetworkError extends Error {}
/** The service answered with GraphQL errors (FORBIDDEN, BAD_USER_INPUT, …). */
export class ApiError extends Error {
  constructor(errors) {
    super(errors.map((e) => e.message).join("; "));
    this.errors = errors;
    this.code = errors[0]?.extensions?.code;
  }
}

export async function graphql(query, variables = {}, { anonymous = false } = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (!anonymous) {
    const open = session.current();
    if (!open) throw new SessionExpired("no session");
    headers.Authorization = `Bearer ${open.token}`;
  }
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify({ query, variables }),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    throw new NetworkError(error.message);
  }
  let body;
  try {
    body = await response.json();
  } catch {
    throw new NetworkError(`the service answered ${response.status}`);
  }
  const errors = body.errors || [];
  if (response.status === 401 || errors.some((e) => e.extensions?.code === "UNAUTHENTICATED")) {
    session.expire();
    throw new SessionExpired("session expired");
  }
  if (response.status === 429) {
    throw new ApiError(errors.length ? errors : [{ message: "too many requests; wait a moment" }]);
  }
  if (response.status >= 500 && !body.data) {
    throw new NetworkError(errors[0]?.message || `the service answered ${response.status}`);
  }
  if (errors.length) throw new ApiError(errors);
  return body.data;
}
