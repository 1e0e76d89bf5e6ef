"""The key-account managers' client in a real browser (Debian's Chromium), at a laptop's
and a phone's size: sign in, see only one's own accounts, open a dossier, log a visit,
tick a follow-up, file a complaint, a typed error beside its field, sign out."""

from __future__ import annotations

import json
import re

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, WANG, Service

pytestmark = pytest.mark.browser


def shot(page: Page, artifacts, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}-{page.viewport_name}.png"), full_page=True)


def sign_in(page: Page, name: str = WANG, password: str = PASSWORD) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/app/"))
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def signed_in(page: Page, service: Service, screen: str = "#/accounts") -> None:
    """Start signed in (the sign-in screen itself is tested on its own): a session from
    signIn, put where the client keeps it before its scripts run."""
    session = service.sign_in(WANG, PASSWORD)
    page.add_init_script(f"sessionStorage.setItem('rapport.session', {json.dumps(json.dumps(session))})")
    page.goto(f"/app/{screen}")
    expect(page.get_by_text(WANG, exact=True)).to_be_visible()


def test_sign_in_refused_then_my_accounts_only(page: Page, service: Service, artifacts) -> None:
    sign_in(page, password="not my password")
    expect(page.get_by_role("alert")).to_have_text("the name or the password is wrong")
    shot(page, artifacts, "sign-in-refused")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    accounts = page.get_by_role("list", name="Accounts")
    expect(accounts.get_by_role("listitem")).to_have_count(3)
    expect(accounts).to_contain_text("Lotus Hotels Ltd")
    expect(accounts).to_contain_text("Peony Freight Co")
    expect(accounts).not_to_contain_text("Orchid")
    lotus = accounts.get_by_role("listitem").filter(has_text="Lotus Hotels Ltd")
    expect(lotus).to_contain_text("Overdue")
    expect(lotus).to_contain_text("Grade A")
    shot(page, artifacts, "my-accounts")
    # The session is in sessionStorage, never in the URL.
    assert "rap_" not in page.url
    token = page.evaluate("() => JSON.parse(sessionStorage.getItem('rapport.session')).token")
    assert token.startswith("rap_")


def open_dossier(page: Page, name: str = "Lotus Hotels Ltd") -> None:
    page.get_by_role("link", name=name).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(name)


def test_search_filter_and_sort_my_accounts(page: Page, service: Service) -> None:
    signed_in(page, service)
    accounts = page.get_by_role("list", name="Accounts").get_by_role("listitem")
    expect(accounts).to_have_count(3)
    page.get_by_label("Search by name").fill("peony")
    expect(accounts).to_have_text([re.compile("Peony Freight Co")])
    page.get_by_label("Search by name").fill("")
    page.get_by_label("Overdue visits only").check()
    expect(accounts.filter(has_text="Peony")).to_have_count(0)
    expect(accounts.filter(has_text="Camellia Retail")).to_have_count(1)
    page.get_by_label("Overdue visits only").uncheck()
    page.get_by_label("Grade").select_option("B")
    expect(accounts).to_have_text([re.compile("Peony Freight Co")])
    page.get_by_label("Grade").select_option("")
    page.get_by_label("Sort by").select_option("grade")
    expect(accounts.last).to_contain_text("Peony Freight Co")


def test_dossier_then_log_a_visit_with_a_typed_error_and_tick_its_follow_up(
    page: Page, service: Service, artifacts
) -> None:
    signed_in(page, service)
    open_dossier(page)
    main = page.get_by_role("main")
    contacts = page.get_by_role("region", name=re.compile("Contacts"))
    expect(contacts).to_contain_text("Chen Jie")
    chen = page.get_by_role("list", name="Relationships of Chen Jie")
    expect(chen).to_have_text("Liu Yang reports to Chen Jie")  # incoming, seen from Chen Jie
    liu = page.get_by_role("list", name="Relationships of Liu Yang")
    expect(liu).to_have_text("reports to Chen Jie")  # outgoing, seen from Liu Yang
    expect(contacts).to_contain_text('Ma <img src=x onerror="window.pwned=1">Chao')  # text, not markup
    assert page.evaluate("() => window.pwned") is None
    expect(page.get_by_role("region", name=re.compile("Complaints"))).to_contain_text("Invoices arrive late")
    expect(page.get_by_role("region", name=re.compile("Complaints"))).to_contain_text("First response")
    expect(page.get_by_role("region", name="Contracts")).to_contain_text("Ends in 20 days")
    expect(page.get_by_role("region", name=re.compile("Recent purchases"))).to_contain_text("40")
    expect(page.get_by_role("region", name=re.compile("Visits"))).to_contain_text("quarterly business review")
    shot(page, artifacts, "dossier")

    page.get_by_role("button", name="Log a visit").click()
    form = page.get_by_role("form", name="Log a visit")
    # The API refuses an empty purpose; its error shows beside the field, which is marked invalid.
    form.get_by_role("button", name="Save visit").click()
    purpose = form.get_by_label("Purpose")
    expect(purpose).to_have_attribute("aria-invalid", "true")
    expect(form.locator(".field-error").filter(has_text="purpose")).to_be_visible()
    expect(purpose).to_have_accessible_description(re.compile("purpose"))
    shot(page, artifacts, "visit-error")

    action = f"Send the menu proposal ({page.viewport_name})"
    purpose.fill(f"menu tasting ({page.viewport_name})")
    form.get_by_label("Chen Jie").check()
    form.get_by_label("Needs").fill("a vegetarian menu\nearlier breakfast")
    form.get_by_role("button", name="Add a follow-up").click()
    form.get_by_label("Action", exact=True).fill(action)
    form.get_by_role("button", name="Save visit").click()
    expect(page.get_by_role("status").filter(has_text="logged")).to_be_visible()
    expect(page.get_by_role("heading", name=re.compile(r"^Visits"))).to_be_focused()  # where the new visit is
    visits = page.get_by_role("region", name=re.compile("Visits"))
    expect(visits).to_contain_text(f"menu tasting ({page.viewport_name})")
    expect(visits).to_contain_text("a vegetarian menu; earlier breakfast")

    follow_up = visits.get_by_role("listitem").filter(has_text=action).last
    page.get_by_role("button", name=f"Mark done: {action}").click()
    expect(follow_up).to_contain_text("Done")
    expect(page.get_by_role("button", name=f"Mark done: {action}")).to_have_count(0)
    expect(main).to_be_visible()


def test_file_a_complaint_through_a_network_failure(page: Page, service: Service, artifacts) -> None:
    signed_in(page, service)
    open_dossier(page)
    page.get_by_role("button", name="File a complaint").click()
    form = page.get_by_role("form", name="File a complaint")
    form.get_by_role("button", name="File complaint").click()
    expect(form.get_by_label("Summary")).to_have_attribute("aria-invalid", "true")

    summary = f"Breakfast served cold ({page.viewport_name})"
    form.get_by_label("Summary").fill(summary)
    form.get_by_label("Severity").select_option("HIGH")
    form.get_by_label("Category").select_option("SERVICE")
    page.route("**/graphql", lambda route: route.abort())
    form.get_by_role("button", name="File complaint").click()
    expect(form.get_by_role("alert")).to_contain_text("Could not reach Rapport")
    expect(form.get_by_label("Summary")).to_have_value(summary)  # nothing typed is lost
    page.unroute("**/graphql")
    form.get_by_role("button", name="File complaint").click()
    expect(page.get_by_role("status").filter(has_text="Complaint filed")).to_contain_text(
        "first response due in"
    )
    complaint = (
        page.get_by_role("region", name=re.compile("Complaints"))
        .get_by_role("listitem")
        .filter(has_text=summary)
    )
    expect(complaint.first).to_contain_text("First response")
    expect(complaint.first).to_contain_text("due in")
    shot(page, artifacts, "complaint-filed")


def test_this_week_lists_visits_due_and_overdue_follow_ups(page: Page, service: Service, artifacts) -> None:
    signed_in(page, service)
    page.get_by_role("link", name="This week").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("This week")
    visits = page.get_by_role("region", name=re.compile("Visits due"))
    expect(visits).to_contain_text("Camellia Retail")
    expect(visits).to_contain_text("Overdue")
    expect(visits).not_to_contain_text("Orchid")
    follow_ups = page.get_by_role("region", name=re.compile("Follow-ups due"))
    overdue = follow_ups.get_by_role("listitem").filter(has_text="Send the revised offer")
    expect(overdue).to_contain_text("Overdue")
    expect(overdue).to_contain_text("Lotus Hotels Ltd")
    shot(page, artifacts, "this-week")


def test_an_expired_session_keeps_the_form_and_sign_out_ends_it(page: Page, service: Service) -> None:
    signed_in(page, service)
    open_dossier(page, "Peony Freight Co")
    page.get_by_role("button", name="Log a visit").click()
    form = page.get_by_role("form", name="Log a visit")
    purpose = f"rate review ({page.viewport_name})"
    form.get_by_label("Purpose").fill(purpose)
    # The session ends behind the client's back (revoked, as an expiry would).
    token = page.evaluate("() => JSON.parse(sessionStorage.getItem('rapport.session')).token")
    service.graphql("mutation { signOut { signedOut } }", token=token)
    form.get_by_role("button", name="Save visit").click()
    dialog = page.get_by_role("dialog", name="Your session has expired")
    expect(dialog).to_be_visible()
    dialog.get_by_label("Password").fill(PASSWORD)
    dialog.get_by_label("Password").press("Enter")
    expect(dialog).to_have_count(0)
    expect(page.get_by_role("region", name=re.compile("Visits"))).to_contain_text(purpose)

    new_token = page.evaluate("() => JSON.parse(sessionStorage.getItem('rapport.session')).token")
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    assert page.evaluate("() => sessionStorage.getItem('rapport.session')") is None
    response = httpx_post(service, new_token)
    assert response.status_code == 401


def httpx_post(service: Service, token: str):
    import httpx

    return httpx.post(
        f"{service.url}/graphql",
        json={"query": "{ me { id } }"},
        headers={"Authorization": f"Bearer {token}"},
    )


def test_keyboard_only_sign_in(page: Page, service: Service) -> None:
    page.goto("/app/")
    name = page.get_by_label("Name")
    expect(name).to_be_focused()
    page.keyboard.type(WANG)
    page.keyboard.press("Tab")
    expect(page.get_by_label("Password")).to_be_focused()
    page.keyboard.type(PASSWORD)
    page.keyboard.press("Tab")
    expect(page.get_by_role("button", name="Sign in")).to_be_focused()
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("My accounts")
    expect(page.get_by_role("heading", level=1)).to_be_focused()
