"""GraphiQL (development) loads nothing from outside the service: many company networks
block public CDNs, and a laptop on a train has none."""

from html.parser import HTMLParser

from server.graphql_view import GRAPHIQL
from tests.api.serving import serving


class _References(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name in {"src", "href"} and value is not None:
                self.found.append(value)


async def _page(http) -> str:
    response = await http.get("/graphql", headers={"Accept": "text/html"})
    assert response.status_code == 200 and response.headers["content-type"].startswith("text/html")
    return response.text


async def test_the_graphiql_page_references_only_assets_the_service_serves(http) -> None:
    page = await _page(http)
    parser = _References()
    parser.feed(page)
    assets = [ref for ref in parser.found if not ref.startswith("data:")]
    assert len(assets) == 6
    assert all(ref.startswith("/graphiql/") for ref in assets), assets  # same origin: no scheme, no //host
    for ref in assets:
        response = await http.get(ref)
        assert response.status_code == 200, ref
        expected = "text/css" if ref.endswith(".css") else "javascript"
        assert expected in response.headers["content-type"], ref
        assert "sourceMappingURL" not in response.text  # no map to fetch from anywhere
    assert "unpkg" not in page and "cdn" not in page.lower()


def test_every_vendored_file_has_its_license() -> None:
    licenses = (GRAPHIQL / "LICENSES.txt").read_text()
    for path in GRAPHIQL.iterdir():
        if path.name != "LICENSES.txt":
            assert f"- {path.name}" in licenses or f", {path.name}" in licenses, path.name
    assert licenses.count("MIT") >= 4 and "Copyright (c) Facebook" in licenses


async def test_production_serves_neither_the_page_nor_its_assets(db, mongo_client, clock, settings) -> None:
    production = settings.model_copy(update={"env": "production"})
    async with serving(production, db, mongo_client, clock) as http:
        assert (await http.get("/graphiql/graphiql.min.js")).status_code == 404
        page = await http.get("/graphql", headers={"Accept": "text/html"})
        assert "GraphiQL" not in page.text
