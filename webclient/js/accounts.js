// "My accounts": the accounts the manager manages or is on the team of (the API scopes
// keyAccounts to them), loaded in pages of 25; sorted, filtered and searched here.

import { fill, h, uid } from "./dom.js";
import * as format from "./format.js";
import { MY_ACCOUNTS, PAGE } from "./queries.js";
import { badge, call, claim, empty, failure, focusTitle, heading, loading } from "./ui.js";

/** At most this many pages (2,500 accounts): far more than one person's book. */
const MAX_PAGES = 100;
export const EXPIRING_DAYS = 30;

const view = { search: "", grade: "", overdueOnly: false, sort: "name" };

async function loadBook() {
  const accounts = [];
  let after = null;
  for (let page = 0; page < MAX_PAGES; page += 1) {
    const data = await call(MY_ACCOUNTS, { first: PAGE, after });
    accounts.push(...data.keyAccounts.edges.map((e) => e.node));
    if (!data.keyAccounts.pageInfo.hasNextPage) break;
    after = data.keyAccounts.pageInfo.endCursor;
  }
  return accounts;
}

export function expiringContracts(account) {
  return account.contracts.filter((c) => c.daysToExpiry >= 0 && c.daysToExpiry <= EXPIRING_DAYS);
}

const name = (a) => a.customer?.name || "(no customer)";

function shown(accounts) {
  const words = view.search.toLocaleLowerCase().split(/\s+/).filter(Boolean);
  const rows = accounts.filter(
    (a) =>
      (!view.grade || a.grade === view.grade) &&
      (!view.overdueOnly || a.visitOverdue) &&
      words.every((w) => name(a).toLocaleLowerCase().includes(w)),
  );
  const by = {
    name: (a, b) => name(a).localeCompare(name(b)),
    nextVisit: (a, b) => a.nextVisitDueAt.localeCompare(b.nextVisitDueAt),
    grade: (a, b) => a.grade.localeCompare(b.grade) || name(a).localeCompare(name(b)),
  }[view.sort];
  return rows.sort(by);
}

export async function accountsScreen(main) {
  const current = claim();
  fill(main, heading("My accounts"), loading("Loading your accounts…"));
  focusTitle(main);
  let accounts;
  try {
    accounts = await loadBook();
  } catch (error) {
    if (!current()) return;
    fill(main, heading("My accounts"), failure(error, () => accountsScreen(main)));
    return;
  }
  if (!current()) return;
  const list = h("ul", { class: "accounts", "aria-label": "Accounts" });
  const count = h("p", { class: "count", role: "status" });
  const redraw = () => {
    const rows = shown(accounts);
    count.textContent = `${rows.length} of ${accounts.length} accounts`;
    if (!accounts.length) fill(list, h("li", {}, empty("You have no key accounts yet.")));
    else if (!rows.length) fill(list, h("li", {}, empty("No account matches these filters.")));
    else fill(list, rows.map(accountCard));
  };
  fill(main, heading("My accounts"), controls(redraw), count, list);
  redraw();
}

function controls(redraw) {
  const search = h("input", { id: uid("search"), type: "search", value: view.search, autocomplete: "off" });
  search.addEventListener("input", () => {
    view.search = search.value;
    redraw();
  });
  const grade = h(
    "select",
    { id: uid("grade") },
    [["", "All grades"], ["A", "A: strategic"], ["B", "B: key"], ["C", "C: standard"]].map(([v, t]) =>
      h("option", { value: v, selected: v === view.grade }, t),
    ),
  );
  grade.addEventListener("change", () => {
    view.grade = grade.value;
    redraw();
  });
  const overdue = h("input", { id: uid("overdue"), type: "checkbox", checked: view.overdueOnly });
  overdue.addEventListener("change", () => {
    view.overdueOnly = overdue.checked;
    redraw();
  });
  const sort = h(
    "select",
    { id: uid("sort") },
    [["name", "Name"], ["nextVisit", "Next visit"], ["grade", "Grade"]].map(([v, t]) =>
      h("option", { value: v, selected: v === view.sort }, t),
    ),
  );
  sort.addEventListener("change", () => {
    view.sort = sort.value;
    redraw();
  });
  return h(
    "div",
    { class: "controls", role: "search" },
    h("div", { class: "control grow" }, h("label", { for: search.id }, "Search by name"), search),
    h("div", { class: "control" }, h("label", { for: grade.id }, "Grade"), grade),
    h("div", { class: "control" }, h("label", { for: sort.id }, "Sort by"), sort),
    h("div", { class: "control check" }, overdue, h("label", { for: overdue.id }, "Overdue visits only")),
  );
}

function accountCard(account) {
  const expiring = expiringContracts(account);
  return h(
    "li",
    { class: "account" },
    h(
      "div",
      { class: "account-head" },
      h("a", { href: `#/accounts/${encodeURIComponent(account.id)}`, class: "account-name" }, name(account)),
      badge(`Grade ${account.grade}`, `grade-${account.grade}`),
    ),
    h(
      "dl",
      { class: "facts" },
      h("dt", {}, "Next visit"),
      h(
        "dd",
        {},
        format.date(account.nextVisitDueAt),
        " ",
        account.visitOverdue ? badge("Overdue", "alert") : h("span", { class: "muted" }, format.fromNow(account.nextVisitDueAt)),
      ),
      h("dt", {}, "Open complaints"),
      h("dd", {}, account.openComplaintCount ? badge(String(account.openComplaintCount), "warn") : "0"),
      h("dt", {}, "Contracts ending soon"),
      h(
        "dd",
        {},
        expiring.length
          ? expiring.map((c) => badge(`ends ${format.date(c.endsOn)}`, "warn"))
          : h("span", { class: "muted" }, "none"),
      ),
    ),
  );
}
