// An account's dossier: company profile, contacts and their relationships, visits with
// follow-ups (tick one done), complaints with their SLA clocks, contracts, purchases; and
// the forms to log a visit and file a complaint from here.

import { fill, h } from "./dom.js";
import * as format from "./format.js";
import { complaintForm, visitForm } from "./forms.js";
import { COMPLETE_FOLLOW_UP, DOSSIER } from "./queries.js";
import { announce, badge, call, claim, empty, explain, failure, focusTitle, heading, loading } from "./ui.js";
import { EXPIRING_DAYS } from "./accounts.js";

export async function dossierScreen(main, id, { keepFocus = false } = {}) {
  const current = claim();
  const back = h("p", { class: "back" }, h("a", { href: "#/accounts" }, "← My accounts"));
  if (!keepFocus) {
    fill(main, back, heading("Dossier"), loading("Loading the dossier…"));
    focusTitle(main);
  }
  let account;
  try {
    account = (await call(DOSSIER, { id })).keyAccount;
  } catch (error) {
    if (!current()) return;
    fill(main, back, heading("Dossier"), failure(error, () => dossierScreen(main, id)));
    return;
  }
  if (!current()) return;
  if (!account) {
    fill(main, back, heading("Dossier"), empty("No such account, or it is not one of yours."));
    return;
  }
  const reload = () => dossierScreen(main, id, { keepFocus: true });
  const panel = h("div", { class: "panel-slot" });
  const open = (make, button, lands) => {
    for (const b of main.querySelectorAll(".actions.top button")) b.setAttribute("aria-expanded", "false");
    button.setAttribute("aria-expanded", "true");
    // Saved: the dossier is read again and focus lands on the section that shows the new record.
    const onDone = async () => {
      await reload();
      main.querySelector(`#${lands}`)?.focus();
    };
    const onCancel = () => {
      panel.replaceChildren();
      button.setAttribute("aria-expanded", "false");
      button.focus();
    };
    fill(panel, make(account, { onDone, onCancel }));
    panel.querySelector("input, select, textarea")?.focus();
  };
  const logButton = h("button", { type: "button", class: "primary", "aria-expanded": "false", "aria-controls": "panel" }, "Log a visit");
  logButton.addEventListener("click", () => open(visitForm, logButton, "s-visits"));
  const complaintButton = h("button", { type: "button", "aria-expanded": "false", "aria-controls": "panel" }, "File a complaint");
  complaintButton.addEventListener("click", () => open(complaintForm, complaintButton, "s-complaints"));
  panel.id = "panel";

  fill(
    main,
    back,
    h(
      "div",
      { class: "dossier-head" },
      heading(account.customer?.name || "Key account"),
      h(
        "p",
        { class: "subtitle" },
        badge(`Grade ${account.grade}`, `grade-${account.grade}`),
        " ",
        format.words(account.category),
        account.industry ? ` · ${account.industry}` : "",
      ),
      h(
        "p",
        { class: "next-visit" },
        "Next visit ",
        h("strong", {}, format.date(account.nextVisitDueAt)),
        " ",
        account.visitOverdue ? badge("Overdue", "alert") : h("span", { class: "muted" }, format.fromNow(account.nextVisitDueAt)),
      ),
    ),
    h("div", { class: "actions top" }, logButton, complaintButton),
    panel,
    h(
      "div",
      { class: "sections" },
      profileSection(account),
      contactsSection(account),
      visitsSection(account, reload),
      complaintsSection(account),
      contractsSection(account),
      purchasesSection(account),
    ),
  );
  if (!keepFocus) focusTitle(main);
}

function section(title, ...children) {
  const id = `s-${title.split(" ")[0].toLowerCase()}`; // stable: "Visits (3)" → s-visits
  return h("section", { class: "card", "aria-labelledby": id }, h("h2", { id, tabindex: "-1" }, title), ...children);
}

function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.filter(([, v]) => v !== null && v !== undefined && v !== "").map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
  );
}

function profileSection(account) {
  const p = account.companyProfile;
  return section(
    "Company profile",
    facts([
      ["Company", account.customer?.name],
      ["Email", account.customer?.email],
      ["Phone", account.customer?.phone],
      ["Industry", account.industry],
      ["Size", p.size],
      ["Main products", p.mainProducts.join(", ")],
      ["Annual revenue", p.annualRevenue ? format.money(p.annualRevenue) : null],
      ["Profit or loss", p.profitOrLoss ? format.money(p.profitOrLoss) : null],
      ["Legal representative", p.legalRepresentative],
      ["Person in charge", p.personInCharge],
      ["Account manager", account.manager?.name],
      ["Team", account.team.map((u) => u.name).join(", ") || null],
      ["Last visit", account.lastVisitAt ? format.date(account.lastVisitAt) : "none yet"],
    ]),
  );
}

function relationshipText(contact, r) {
  const kind = format.words(r.relationship);
  const other = r.contact?.name || "someone in another account";
  // OUTGOING: this contact → the other; INCOMING: the other → this contact.
  if (r.relationship === "REPORTS_TO") {
    return r.direction === "OUTGOING" ? `reports to ${other}` : `${other} reports to ${contact.name}`;
  }
  return r.direction === "OUTGOING" ? `${kind} of ${other}` : `${other} is ${kind} of ${contact.name}`;
}

function contactsSection(account) {
  const contacts = account.contacts.edges.map((e) => e.node);
  return section(
    `Contacts (${account.contacts.totalCount})`,
    contacts.length
      ? h(
          "ul",
          { class: "items" },
          contacts.map((c) =>
            h(
              "li",
              { class: "item" },
              h("h3", {}, c.name, c.title ? h("span", { class: "muted" }, ` · ${c.title}`) : ""),
              h("p", {}, badge(format.words(c.decisionRole))),
              facts([
                ["Email", c.email],
                ["Phone", c.phone],
                ["Birthday", c.birthday ? format.date(c.birthday) : null],
                ["Hobbies", c.hobbies.join(", ")],
                ["Family", c.family],
                ["Habits", c.habits],
                ["Responsibilities", c.responsibilities],
                ["Goals", c.goals],
              ]),
              c.relationships.length
                ? h(
                    "ul",
                    { class: "relations", "aria-label": `Relationships of ${c.name}` },
                    c.relationships.map((r) =>
                      h("li", {}, relationshipText(c, r), r.note ? h("span", { class: "muted" }, ` (${r.note})`) : ""),
                    ),
                  )
                : null,
            ),
          ),
        )
      : empty("No contacts recorded."),
  );
}

function visitsSection(account, reload) {
  const visits = account.visits.edges.map((e) => e.node);
  return section(
    `Visits (${account.visits.totalCount})`,
    visits.length
      ? h(
          "ul",
          { class: "items visits" },
          visits.map((v) =>
            h(
              "li",
              { class: "item visit" },
              h("h3", {}, format.date(v.visitedAt), " · ", v.purpose),
              facts([
                ["Visited by", v.visitors.map((u) => u.name).join(", ")],
                ["Met", v.contacts.map((c) => c.name).join(", ") || null],
                ["Needs", v.findings.needs.join("; ")],
                ["Satisfaction", v.findings.satisfaction ? `${v.findings.satisfaction} of 5` : null],
                ["Issues", v.findings.issues.join("; ")],
                ["Next visit agreed", v.nextVisitAt ? format.date(v.nextVisitAt) : null],
              ]),
              v.followUps.length
                ? h(
                    "ul",
                    { class: "follow-ups", "aria-label": "Follow-ups" },
                    v.followUps.map((f) => followUpItem(f, reload)),
                  )
                : null,
            ),
          ),
        )
      : empty("No visits logged yet."),
  );
}

export function followUpItem(f, reload, extra = null) {
  const status = f.done ? badge("Done", "ok") : f.overdue ? badge("Overdue", "alert") : null;
  const item = h(
    "li",
    { class: `follow-up${f.done ? " done" : ""}` },
    h(
      "span",
      { class: "what" },
      f.action,
      h("span", { class: "muted" }, ` · ${f.owner?.name || "no owner"} · due ${format.date(f.dueAt)}`),
      extra,
    ),
    status,
  );
  if (!f.done) {
    const button = h("button", { type: "button", class: "small" }, "Mark done");
    button.setAttribute("aria-label", `Mark done: ${f.action}`);
    button.addEventListener("click", async () => {
      button.disabled = true;
      try {
        const result = (await call(COMPLETE_FOLLOW_UP, { input: { followUpId: f.id } })).completeFollowUp;
        if (result.errors.length) throw new Error(result.errors.map((e) => e.message).join("; "));
        announce(`Done: ${f.action}`, "ok");
        await reload();
      } catch (error) {
        button.disabled = false;
        announce(explain(error), "error");
      }
    });
    item.appendChild(button);
  }
  return item;
}

function clock(label, state) {
  if (!state) return null;
  let text;
  let kind = "";
  if (state.metAt) {
    text = state.breached ? `met late, ${format.dateTime(state.metAt)}` : `met ${format.dateTime(state.metAt)}`;
    kind = state.breached ? "alert" : "ok";
  } else if (state.breached) {
    text = `overdue by ${format.duration(state.remainingSeconds)} (due ${format.dateTime(state.dueAt)})`;
    kind = "alert";
  } else {
    text = `due in ${format.duration(state.remainingSeconds)} (${format.dateTime(state.dueAt)})${state.running ? "" : ", paused"}`;
    kind = "warn";
  }
  return h("li", { class: `clock ${kind}` }, h("span", { class: "clock-name" }, label), " ", text);
}

function complaintsSection(account) {
  const complaints = account.complaints.edges.map((e) => e.node);
  return section(
    `Complaints (${account.openComplaintCount} open)`,
    complaints.length
      ? h(
          "ul",
          { class: "items" },
          complaints.map((c) =>
            h(
              "li",
              { class: "item complaint" },
              h("h3", {}, c.summary),
              h(
                "p",
                {},
                badge(format.words(c.status), ["RESOLVED", "CLOSED", "DISCARDED"].includes(c.status) ? "ok" : "warn"),
                " ",
                badge(format.words(c.severity)),
                " ",
                h("span", { class: "muted" }, `${format.words(c.kind)} · ${format.words(c.category)} · received ${format.dateTime(c.receivedAt)}`),
              ),
              h(
                "ul",
                { class: "clocks", "aria-label": `SLA (${c.sla.policy})` },
                clock("First response", c.sla.firstResponse),
                clock("Resolution", c.sla.resolution),
              ),
            ),
          ),
        )
      : empty("No complaints recorded."),
  );
}

function contractsSection(account) {
  return section(
    "Contracts",
    account.contracts.length
      ? h(
          "ul",
          { class: "items" },
          account.contracts.map((c) =>
            h(
              "li",
              { class: "item" },
              h("h3", {}, c.content),
              facts([
                ["Term", `${format.date(c.startsOn)} – ${format.date(c.endsOn)}`],
                ["Fees", format.money(c.fees)],
                ["Confidentiality clause", c.confidentiality ? "yes" : "no"],
              ]),
              c.daysToExpiry < 0
                ? badge("Ended", "muted")
                : c.daysToExpiry <= EXPIRING_DAYS
                  ? badge(`Ends in ${c.daysToExpiry} days`, "warn")
                  : null,
            ),
          ),
        )
      : empty("No contracts recorded."),
  );
}

function purchasesSection(account) {
  const purchases = account.purchases.edges.map((e) => e.node);
  return section(
    `Recent purchases (${account.purchases.totalCount})`,
    purchases.length
      ? h(
          "table",
          { class: "purchases" },
          h("thead", {}, h("tr", {}, h("th", { scope: "col" }, "Date"), h("th", { scope: "col" }, "Units"), h("th", { scope: "col" }, "Amount"), h("th", { scope: "col" }, "Channel"))),
          h(
            "tbody",
            {},
            purchases.map((p) =>
              h("tr", {}, h("td", {}, format.date(p.purchasedAt)), h("td", {}, String(p.units)), h("td", {}, format.money(p.amount)), h("td", {}, format.words(p.channel) || "—")),
            ),
          ),
        )
      : empty("No purchases recorded."),
  );
}
