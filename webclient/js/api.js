// GraphQL over HTTP to /graphql, like any other frontend: POST JSON with the session's
// bearer token. Failures come back as three kinds of error the screens tell apart.
//
// Every document is a trusted one (registered by the SHA-256 of its text in the service's
// trusted-documents.json), so it is sent by hash alone, APQ-style:
// `extensions: { persistedQuery: { version: 1, sha256Hash } }`. Where the browser cannot
// hash (no crypto.subtle outside a secure context), or the service does not know the hash
// (PERSISTED_QUERY_NOT_FOUND: a service older than the client), the text goes instead.

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

const hashes = new Map();

/** The document's SHA-256 in hex, or null where the browser cannot hash. */
async function sha256(text) {
  if (!globalThis.crypto?.subtle) return null;
  if (!hashes.has(text)) {
    const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
    hashes.set(text, Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join(""));
  }
  return hashes.get(text);
}

async function post(body, headers) {
  let response;
  try {
    response = await fetch("/graphql", {
      method: "POST",
      headers,
      body: JSON.stringify(body),
      credentials: "omit",
      cache: "no-store",
    });
  } catch (error) {
    throw new NetworkError(error.message);
  }
  try {
    return { response, body: await response.json() };
  } catch {
    throw new NetworkError(`the service answered ${response.status}`);
  }
}

const notFound = (answer) =>
  (answer.body.errors || []).some((e) => e.extensions?.code === "PERSISTED_QUERY_NOT_FOUND");

export async function graphql(query, variables = {}, { anonymous = false } = {}) {
  const headers = { "Content-Type": "application/json", Accept: "application/json" };
  if (!anonymous) {
    const open = session.current();
    if (!open) throw new SessionExpired("no session");
    headers.Authorization = `Bearer ${open.token}`;
  }
  const hash = await sha256(query);
  const persisted = hash && { extensions: { persistedQuery: { version: 1, sha256Hash: hash } } };
  let answer = await post(persisted ? { ...persisted, variables } : { query, variables }, headers);
  if (persisted && notFound(answer)) answer = await post({ query, variables, ...persisted }, headers);
  const { response, body } = answer;
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
