// "This week": visits due within seven days (overdue ones first) and follow-ups due by
// then (overdue ones marked) across the manager's accounts.

import { fill, h } from "./dom.js";
import * as format from "./format.js";
import { followUpItem } from "./dossier.js";
import { PAGE, THIS_WEEK } from "./queries.js";
import { badge, call, claim, empty, failure, focusTitle, heading, loading } from "./ui.js";

const DAYS = 7;

export async function weekScreen(main, { keepFocus = false } = {}) {
  const current = claim();
  if (!keepFocus) {
    fill(main, heading("This week"), loading("Loading your week…"));
    focusTitle(main);
  }
  let data;
  try {
    data = await call(THIS_WEEK, { days: DAYS, first: PAGE });
  } catch (error) {
    if (!current()) return;
    fill(main, heading("This week"), failure(error, () => weekScreen(main)));
    return;
  }
  if (!current()) return;
  const reload = () => weekScreen(main, { keepFocus: true });
  const visits = data.keyAccounts.edges.map((e) => e.node).sort((a, b) => a.nextVisitDueAt.localeCompare(b.nextVisitDueAt));
  const followUps = data.openFollowUps.edges.map((e) => e.node);
  const more = (shown, total) => (total > shown ? h("p", { class: "muted" }, `and ${total - shown} more`) : null);
  fill(
    main,
    heading("This week"),
    h(
      "div",
      { class: "sections two" },
      h(
        "section",
        { class: "card", "aria-labelledby": "week-visits" },
        h("h2", { id: "week-visits" }, `Visits due (${data.keyAccounts.totalCount})`),
        visits.length
          ? h(
              "ul",
              { class: "items" },
              visits.map((a) =>
                h(
                  "li",
                  { class: "item row-item" },
                  h("a", { href: `#/accounts/${encodeURIComponent(a.id)}` }, a.customer?.name || "Key account"),
                  " ",
                  badge(`Grade ${a.grade}`, `grade-${a.grade}`),
                  h("span", { class: "when" }, format.date(a.nextVisitDueAt), " ", a.visitOverdue ? badge("Overdue", "alert") : h("span", { class: "muted" }, format.fromNow(a.nextVisitDueAt))),
                ),
              ),
            )
          : empty("No visits due this week."),
        more(visits.length, data.keyAccounts.totalCount),
      ),
      h(
        "section",
        { class: "card", "aria-labelledby": "week-follow-ups" },
        h("h2", { id: "week-follow-ups" }, `Follow-ups due (${data.openFollowUps.totalCount})`),
        followUps.length
          ? h(
              "ul",
              { class: "follow-ups" },
              followUps.map((f) =>
                followUpItem(
                  f,
                  reload,
                  f.keyAccount
                    ? h("span", { class: "muted" }, " · ", h("a", { href: `#/accounts/${encodeURIComponent(f.keyAccount.id)}` }, f.keyAccount.customer?.name || "account"))
                    : null,
                ),
              ),
            )
          : empty("No follow-ups due this week."),
        more(followUps.length, data.openFollowUps.totalCount),
      ),
    ),
  );
  if (!keepFocus) focusTitle(main);
}
