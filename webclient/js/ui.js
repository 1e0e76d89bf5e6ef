// What every screen shares: notices, loading/empty/error states, field errors, and the one
// way to talk to the service (`call`), which survives an expired session (sign in again,
// then retry) and tells a network failure apart, leaving forms as they were.

import { ApiError, NetworkError, SessionExpired, graphql } from "./api.js";
import { fill, h } from "./dom.js";

let reauthenticate = async () => false;

/** Set by main.js: shows the sign-in-again dialog, resolves true once signed in. */
export function onSessionExpired(handler) {
  reauthenticate = handler;
}

/** Send a GraphQL document; after an expired session, sign in again and send it once more. */
export async function call(query, variables) {
  try {
    return await graphql(query, variables);
  } catch (error) {
    if (!(error instanceof SessionExpired)) throw error;
    if (!(await reauthenticate())) throw error;
    return graphql(query, variables);
  }
}

/** A sentence for a failure, for a person. */
export function explain(error) {
  if (error instanceof NetworkError) {
    return "Could not reach Rapport. Check your connection and try again; nothing you typed is lost.";
  }
  if (error instanceof SessionExpired) return "Your session has expired. Sign in again.";
  if (error instanceof ApiError) {
    if (error.code === "FORBIDDEN") return "You may not do this.";
    return `The service refused: ${error.message}`;
  }
  return `Something went wrong: ${error.message}`;
}

const notice = () => document.getElementById("notice");

export function announce(text, kind = "info") {
  const el = notice();
  el.className = `notice ${kind}`;
  el.hidden = false;
  fill(el, h("span", {}, text), h("button", { type: "button", class: "quiet", "aria-label": "Dismiss", onclick: clearNotice }, "×"));
}

export function clearNotice() {
  const el = notice();
  el.hidden = true;
  el.replaceChildren();
}

export function loading(text) {
  return h("p", { class: "state loading", role: "status" }, text);
}

export function empty(text) {
  return h("p", { class: "state empty" }, text);
}

export function failure(error, retry) {
  return h(
    "div",
    { class: "state error", role: "alert" },
    h("p", {}, explain(error)),
    retry ? h("button", { type: "button", onclick: retry }, "Try again") : null,
  );
}

/**
 * A screen claims the page when it starts; after each await it checks it still holds it,
 * so a slow answer for a screen the person already left never overwrites the new one.
 */
let claims = 0;
export function claim() {
  claims += 1;
  const mine = claims;
  return () => mine === claims;
}

/** A screen's heading, focused when the screen opens (keyboard and screen readers land there). */
export function heading(text, level = "h1") {
  return h(level, { tabindex: "-1", class: "screen-title" }, text);
}

export function focusTitle(root) {
  root.querySelector(".screen-title")?.focus();
}

export function badge(text, kind = "") {
  return h("span", { class: `badge ${kind}`.trim() }, text);
}

// --- forms: typed errors beside the fields they name -------------------------------------

/** A labelled field; `field` is the input path the API names in its errors (e.g. "purpose"). */
export function field(label, control, { field: path, hint } = {}) {
  const id = control.id;
  const errorId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  control.setAttribute("aria-describedby", [hintId, errorId].filter(Boolean).join(" "));
  if (path) control.dataset.field = path;
  return h(
    "div",
    { class: "field" },
    h("label", { for: id }, label),
    hint ? h("p", { class: "hint", id: hintId }, hint) : null,
    control,
    h("p", { class: "field-error", id: errorId, dataset: { errorFor: path || "" } }),
  );
}

export function clearErrors(form) {
  for (const el of form.querySelectorAll(".field-error")) el.textContent = "";
  for (const el of form.querySelectorAll("[aria-invalid]")) el.removeAttribute("aria-invalid");
  const summary = form.querySelector(".form-error");
  if (summary) summary.textContent = "";
}

/** Show each payload error beside its field (or at the top when it names none we show). */
export function showErrors(form, errors) {
  clearErrors(form);
  let first = null;
  const unplaced = [];
  for (const error of errors) {
    const control = error.field ? findField(form, error.field) : null;
    if (!control) {
      unplaced.push(error.message);
      continue;
    }
    control.setAttribute("aria-invalid", "true");
    const slot = form.querySelector(`#${CSS.escape(control.id)}-error`);
    slot.textContent = slot.textContent ? `${slot.textContent}; ${error.message}` : error.message;
    first = first || control;
  }
  const summary = form.querySelector(".form-error");
  if (summary) summary.textContent = unplaced.join("; ");
  (first || summary)?.focus?.();
}

function findField(form, path) {
  // The exact path, else its nearest parent that has a control ("findings.needs[2]" → "findings.needs").
  let current = path;
  while (current) {
    const control = [...form.querySelectorAll("[data-field]")].find((el) => el.dataset.field === current);
    if (control) return control;
    const cut = Math.max(current.lastIndexOf("."), current.lastIndexOf("["));
    current = cut > 0 ? current.slice(0, cut) : "";
  }
  return null;
}

/** A form-level message area (errors that name no field, network failures). */
export function formError() {
  return h("p", { class: "form-error", role: "alert", tabindex: "-1" });
}

export function setBusy(form, busy) {
  form.setAttribute("aria-busy", busy ? "true" : "false");
  for (const button of form.querySelectorAll("button[type=submit]")) button.disabled = busy;
}
