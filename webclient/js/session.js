// The signed-in session: kept in sessionStorage (gone when the tab closes, never in the
// URL, never in localStorage or a cookie).

const KEY = "rapport.session";

export function current() {
  try {
    const session = JSON.parse(sessionStorage.getItem(KEY) || "null");
    if (session && session.token && new Date(session.expiresAt) > new Date()) return session;
  } catch {
    // an unreadable entry is no session
  }
  return null;
}

/** The last signed-in user, even once the session has expired (to sign in again). */
export function lastUser() {
  try {
    return JSON.parse(sessionStorage.getItem(KEY) || "null")?.user || null;
  } catch {
    return null;
  }
}

export function keep(session) {
  sessionStorage.setItem(KEY, JSON.stringify(session));
}

export function forget() {
  sessionStorage.removeItem(KEY);
}

export function expire() {
  // Keep who it was (to sign in again), drop the token.
  const user = lastUser();
  sessionStorage.setItem(KEY, JSON.stringify({ token: null, expiresAt: null, user }));
}
