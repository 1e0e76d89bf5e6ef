// Logging a visit and filing a complaint from the dossier. The browser does not validate
// (novalidate): the API does, and its typed errors are shown beside the fields they name.
// A failed send (network, expired session) leaves the form as typed.

import { fill, h, uid } from "./dom.js";
import * as format from "./format.js";
import { FILE_COMPLAINT, LOG_VISIT } from "./queries.js";
import * as session from "./session.js";
import { announce, call, clearErrors, explain, field, formError, setBusy, showErrors } from "./ui.js";

const lines = (text) =>
  text
    .split("\n")
    .map((s) => s.trim())
    .filter(Boolean);

function select(id, options, value) {
  return h(
    "select",
    { id },
    options.map(([v, t]) => h("option", { value: v, selected: v === value }, t)),
  );
}

function people(account) {
  const me = session.current()?.user;
  const all = [me, account.manager, ...account.team].filter(Boolean);
  return [...new Map(all.map((u) => [u.id, u])).values()];
}

async function send(form, problem, work) {
  clearErrors(form);
  setBusy(form, true);
  try {
    return await work();
  } catch (error) {
    problem.textContent = explain(error);
    problem.focus();
    return null;
  } finally {
    setBusy(form, false);
  }
}

export function visitForm(account, { onDone, onCancel }) {
  const visitedAt = h("input", { id: uid("visited"), type: "datetime-local", value: format.localNow() });
  const purpose = h("input", { id: uid("purpose"), autocomplete: "off" });
  const contacts = account.contacts.edges.map((e) => e.node);
  const met = contacts.map((c, i) => ({
    contact: c,
    box: h("input", { type: "checkbox", id: uid("met"), value: c.id, dataset: { field: `contactIds[${i}]` } }),
  }));
  const needs = h("textarea", { id: uid("needs"), rows: "2" });
  const issues = h("textarea", { id: uid("issues"), rows: "2" });
  const satisfaction = select(uid("satisfaction"), [["", "not asked"], ["5", "5 excellent"], ["4", "4 good"], ["3", "3 fair"], ["2", "2 poor"], ["1", "1 very poor"]], "");
  const nextVisit = h("input", { id: uid("next"), type: "date" });
  const followUps = h("div", { class: "follow-up-rows" });
  const problem = formError();
  const owners = people(account);

  const addFollowUp = () => {
    const index = followUps.children.length;
    const action = h("input", { id: uid("action"), autocomplete: "off" });
    const owner = select(uid("owner"), owners.map((u) => [u.id, u.name]), session.current()?.user.id);
    const due = h("input", { id: uid("due"), type: "date", value: format.isoDay(7) });
    const remove = h("button", { type: "button", class: "quiet small" }, "Remove");
    const row = h(
      "fieldset",
      { class: "follow-up-row" },
      h("legend", {}, `Follow-up ${index + 1}`),
      field("Action", action, { field: `followUps[${index}].action` }),
      field("Owner", owner, { field: `followUps[${index}].ownerId` }),
      field("Due", due, { field: `followUps[${index}].dueAt` }),
      remove,
    );
    remove.addEventListener("click", () => {
      row.remove();
      renumber();
      addButton.focus();
    });
    followUps.appendChild(row);
    action.focus();
  };
  const renumber = () => {
    [...followUps.children].forEach((row, i) => {
      row.querySelector("legend").textContent = `Follow-up ${i + 1}`;
      const [action, owner, due] = row.querySelectorAll("input, select");
      action.dataset.field = `followUps[${i}].action`;
      owner.dataset.field = `followUps[${i}].ownerId`;
      due.dataset.field = `followUps[${i}].dueAt`;
    });
  };
  const addButton = h("button", { type: "button", class: "small" }, "Add a follow-up");
  addButton.addEventListener("click", addFollowUp);

  const form = h(
    "form",
    { class: "card form", novalidate: true, "aria-labelledby": "visit-form-title" },
    h("h2", { id: "visit-form-title" }, "Log a visit"),
    problem,
    field("Visited at", visitedAt, { field: "visitedAt" }),
    field("Purpose", purpose, { field: "purpose" }),
    contacts.length
      ? h(
          "fieldset",
          { class: "choices" },
          h("legend", {}, "Contacts met"),
          met.map(({ contact, box }) =>
            h(
              "div",
              { class: "check" },
              box,
              h("label", { for: box.id }, contact.name, contact.title ? ` (${contact.title})` : ""),
              h("p", { class: "field-error", id: `${box.id}-error` }),
            ),
          ),
        )
      : null,
    h(
      "fieldset",
      {},
      h("legend", {}, "Findings"),
      field("Needs", needs, { field: "findings.needs", hint: "One per line." }),
      field("Satisfaction", satisfaction, { field: "findings.satisfaction" }),
      field("Issues", issues, { field: "findings.issues", hint: "One per line." }),
    ),
    h("div", { class: "follow-ups-editor" }, h("h3", {}, "Follow-ups"), followUps, addButton),
    field("Next visit", nextVisit, { field: "nextVisitAt", hint: "The date agreed with the account, if one was." }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "Save visit"),
      h("button", { type: "button", class: "quiet", onclick: onCancel }, "Cancel"),
    ),
  );
  for (const { box } of met) box.setAttribute("aria-describedby", `${box.id}-error`);

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = {
      keyAccountId: account.id,
      visitedAt: format.instant(visitedAt.value),
      purpose: purpose.value,
      contactIds: met.filter(({ box }) => box.checked).map(({ box }) => box.value),
      findings: {
        needs: lines(needs.value),
        issues: lines(issues.value),
        satisfaction: satisfaction.value ? Number(satisfaction.value) : null,
      },
      followUps: [...followUps.children].map((row) => {
        const [action, owner, due] = row.querySelectorAll("input, select");
        return { action: action.value, ownerId: owner.value, dueAt: format.instant(due.value, "17:00") };
      }),
      nextVisitAt: format.instant(nextVisit.value, "09:00"),
    };
    if (!input.visitedAt) {
      showErrors(form, [{ field: "visitedAt", message: "give the date and time of the visit" }]);
      return;
    }
    const result = await send(form, problem, async () => (await call(LOG_VISIT, { input })).logVisit);
    if (!result) return;
    if (result.errors.length) {
      showErrors(form, result.errors.map((e) => ({ ...e, field: contactField(e.field, input, met) })));
      return;
    }
    announce(`Visit of ${format.date(result.visit.visitedAt)} logged.`, "ok");
    await onDone();
  });
  return form;
}

/** contactIds[i] of the request → the i-th checkbox shown (only the ticked ones are sent). */
function contactField(path, input, met) {
  const match = /^contactIds\[(\d+)\]$/.exec(path || "");
  if (!match) return path;
  const id = input.contactIds[Number(match[1])];
  const shownAt = met.findIndex(({ box }) => box.value === id);
  return shownAt >= 0 ? `contactIds[${shownAt}]` : path;
}

const KINDS = [["COMPLAINT", "Complaint"], ["SUGGESTION_SERVICE_QUALITY", "Suggestion: service quality"], ["SUGGESTION_SERVICE_DEMAND", "Suggestion: service demand"], ["PRAISE", "Praise"]];
const CATEGORIES = ["PRODUCT", "LOGISTICS", "COMMUNICATION", "SERVICE", "PROMOTION", "BILLING", "OTHER"];
const SEVERITIES = ["LOW", "MEDIUM", "HIGH", "CRITICAL"];
const CHANNELS = ["VISIT", "PHONE", "EMAIL", "CHAT", "SOCIAL", "SMS", "STORE", "APP", "MINI_PROGRAM", "WEBSITE", "COMMUNITY"];

export function complaintForm(account, { onDone, onCancel }) {
  const kind = select(uid("kind"), KINDS, "COMPLAINT");
  const category = select(uid("category"), CATEGORIES.map((c) => [c, format.words(c)]), "SERVICE");
  const severity = select(uid("severity"), SEVERITIES.map((s) => [s, format.words(s)]), "MEDIUM");
  const channel = select(uid("channel"), CHANNELS.map((c) => [c, format.words(c)]), "VISIT");
  const summary = h("input", { id: uid("summary"), autocomplete: "off" });
  const description = h("textarea", { id: uid("description"), rows: "4" });
  const problem = formError();
  const form = h(
    "form",
    { class: "card form", novalidate: true, "aria-labelledby": "complaint-form-title" },
    h("h2", { id: "complaint-form-title" }, "File a complaint"),
    problem,
    h(
      "div",
      { class: "row" },
      field("Kind", kind, { field: "kind" }),
      field("Category", category, { field: "category" }),
      field("Severity", severity, { field: "severity" }),
      field("Channel", channel, { field: "channel" }),
    ),
    field("Summary", summary, { field: "summary", hint: "A short title." }),
    field("Description", description, { field: "description" }),
    h(
      "div",
      { class: "actions" },
      h("button", { type: "submit", class: "primary" }, "File complaint"),
      h("button", { type: "button", class: "quiet", onclick: onCancel }, "Cancel"),
    ),
  );
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const input = {
      customerId: account.customer.id,
      keyAccountId: account.id,
      kind: kind.value,
      category: category.value,
      severity: severity.value,
      channel: channel.value,
      summary: summary.value,
      description: description.value || null,
    };
    const result = await send(form, problem, async () => (await call(FILE_COMPLAINT, { input })).fileComplaint);
    if (!result) return;
    if (result.errors.length) {
      showErrors(form, result.errors);
      return;
    }
    const due = result.complaint.sla.firstResponse;
    announce(
      `Complaint filed: first response due ${due ? `in ${format.duration(due.remainingSeconds)}` : "—"}.`,
      "ok",
    );
    await onDone();
  });
  return fill(h("div", {}), form);
}
