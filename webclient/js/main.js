// The key-account managers' client: a hash router over a few screens, all talking GraphQL
// to /graphql with the session's token. No build step: plain ES modules.

import { graphql } from "./api.js";
import { fill, h, uid } from "./dom.js";
import { SIGN_IN, SIGN_OUT } from "./queries.js";
import * as session from "./session.js";
import {
  announce,
  clearErrors,
  clearNotice,
  explain,
  field,
  focusTitle,
  formError,
  heading,
  onSessionExpired,
  setBusy,
  showErrors,
} from "./ui.js";
import { accountsScreen } from "./accounts.js";
import { dossierScreen } from "./dossier.js";
import { weekScreen } from "./week.js";

const main = document.getElementById("main");

function route() {
  const hash = location.hash.replace(/^#\/?/, "");
  const [screen, id] = hash.split("/");
  if (screen === "accounts" && id) return { name: "dossier", id: decodeURIComponent(id) };
  if (screen === "week") return { name: "week" };
  return { name: "accounts" };
}

async function render() {
  const open = session.current();
  showChrome(open);
  if (!open) {
    signInScreen();
    return;
  }
  const where = route();
  for (const link of document.querySelectorAll("#nav a")) {
    const current = link.dataset.route === (where.name === "dossier" ? "accounts" : where.name);
    if (current) link.setAttribute("aria-current", "page");
    else link.removeAttribute("aria-current");
  }
  if (where.name === "dossier") await dossierScreen(main, where.id);
  else if (where.name === "week") await weekScreen(main);
  else await accountsScreen(main);
}

function showChrome(open) {
  document.getElementById("nav").hidden = !open;
  document.getElementById("who").hidden = !open;
  document.getElementById("who-name").textContent = open ? open.user.name : "";
}

// --- signing in ----------------------------------------------------------------------------

async function signIn(name, password) {
  // Sent without a token (signIn needs none); the answer never says whether the name exists.
  const data = await graphql(SIGN_IN, { input: { name, password } }, { anonymous: true });
  const { session: opened, errors } = data.signIn;
  if (errors.length) return errors;
  session.keep(opened);
  return [];
}

function signInScreen(message) {
  const nameInput = h("input", { id: uid("name"), name: "name", autocomplete: "username", autocapitalize: "none" });
  const passwordInput = h("input", {
    id: uid("password"),
    name: "password",
    type: "password",
    autocomplete: "current-password",
  });
  const problem = formError();
  const form = h(
    "form",
    { class: "card sign-in", novalidate: true },
    heading("Sign in"),
    h("p", {}, "Key-account managers sign in with their name and password."),
    message ? h("p", { class: "notice info inline" }, message) : null,
    problem,
    field("Name", nameInput, { field: "name" }),
    field("Password", passwordInput, { field: "password" }),
    h("div", { class: "actions" }, h("button", { type: "submit", class: "primary" }, "Sign in")),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    clearErrors(form);
    setBusy(form, true);
    try {
      const errors = await signIn(nameInput.value, passwordInput.value);
      if (errors.length) {
        problem.textContent = errors.map((e) => e.message).join("; ");
        passwordInput.value = "";
        problem.focus();
        return;
      }
      clearNotice();
      if (!location.hash || location.hash === "#/") location.hash = "#/accounts";
      await render();
    } catch (error) {
      problem.textContent = explain(error);
      problem.focus();
    } finally {
      setBusy(form, false);
    }
  });
  fill(main, form);
  const last = session.lastUser();
  if (last) nameInput.value = last.name;
  (last ? passwordInput : nameInput).focus();
}

// An expired session while working: a dialog over the screen, so the form under it keeps
// what was typed; once signed in again, the request that failed is sent again.
let pending = null;

function reauthenticate() {
  if (pending) return pending;
  const user = session.lastUser();
  if (!user) return Promise.resolve(false);
  const passwordInput = h("input", {
    id: uid("reauth-password"),
    type: "password",
    autocomplete: "current-password",
  });
  const problem = h("p", { class: "field-error", role: "alert" });
  const leaveButton = h("button", { type: "button", class: "quiet" }, "Sign out");
  const form = h(
    "form",
    { method: "dialog", novalidate: true },
    h("h2", { id: "reauth-title" }, "Your session has expired"),
    h("p", {}, `Sign in again as ${user.name} to go on; what you typed is kept.`),
    h("label", { for: passwordInput.id }, "Password"),
    passwordInput,
    problem,
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Sign in again"),
      leaveButton,
    ),
  );
  const dialog = h("dialog", { "aria-labelledby": "reauth-title" }, form);
  document.body.appendChild(dialog);
  pending = new Promise((resolve) => {
    const done = (ok) => {
      dialog.close();
      dialog.remove();
      pending = null;
      resolve(ok);
    };
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      try {
        const errors = await signIn(user.name, passwordInput.value);
        if (errors.length) {
          problem.textContent = errors.map((e) => e.message).join("; ");
          passwordInput.value = "";
          passwordInput.focus();
          return;
        }
        done(true);
        announce("Signed in again.");
      } catch (error) {
        problem.textContent = explain(error);
      }
    });
    leaveButton.addEventListener("click", () => {
      done(false);
      session.forget();
      render();
    });
    // Escape does not drop the session (and what the form under it holds) silently.
    dialog.addEventListener("cancel", (event) => event.preventDefault());
    dialog.showModal();
    passwordInput.focus();
  });
  return pending;
}

onSessionExpired(reauthenticate);

async function signOut() {
  try {
    await graphql(SIGN_OUT);
  } catch {
    // Signed out here whatever the service said: an expired token opens nothing anyway,
    // and one the network kept from being revoked expires within the session's lifetime.
  }
  session.forget();
  history.replaceState(null, "", "#/accounts");
  showChrome(null);
  signInScreen("You are signed out.");
}

document.getElementById("sign-out").addEventListener("click", signOut);
window.addEventListener("hashchange", () => {
  clearNotice();
  render().then(() => focusTitle(main));
});
render();
