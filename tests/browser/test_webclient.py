"""The key-account managers' client in a real browser (Debian's Chromium), at a laptop's
and a phone's size: sign in, see only one's own accounts, open a dossier, log a visit,
tick a follow-up, file a complaint, a typed error beside its field, sign out."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.browser.conftest import PASSWORD, WANG, Service


def shot(page: Page, artifacts, name: str) -> None:
    page.screenshot(path=str(artifacts / f"{name}-{page.viewport_name}.png"), full_page=True)


def sign_in(page: Page, name: str = WANG, password: str = PASSWORD) -> None:
    page.goto("/")
    expect(page).to_have_url(re.compile(r"/app/"))
    page.get_by_label("Name").fill(name)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_refused_then_my_accounts_only(page: Page, service: Service, artifacts) -> None:
    sign_in(page, password="not my password")
    expect(page.get_by_role("alert")).to_have_text("the name or the password is wrong")
    shot(page, artifacts, "sign-in-refused")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    accounts = page.get_by_role("list", name="Accounts")
    expect(accounts.get_by_role("listitem")).to_have_count(2)
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
