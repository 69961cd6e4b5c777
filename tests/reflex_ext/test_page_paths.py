"""reflex_ext/asgi.PageWithoutRedirect in front of Reflex's own static server for the built front
end (PrecompressedStaticFiles, as `get_frontend_mount` makes it): a page asked for without its
trailing slash is served at once instead of a 307 to the slashed path."""

from __future__ import annotations

from pathlib import Path

import pytest
from reflex.utils.precompressed_staticfiles import PrecompressedStaticFiles
from starlette.testclient import TestClient

from portal_app.reflex_ext.asgi import PageWithoutRedirect


@pytest.fixture
def build(tmp_path: Path) -> Path:
    """A built front end as Reflex lays it out: `client/login.html` and `client/login/index.html`
    for a page, a 404 page, an asset."""
    (tmp_path / "client" / "login").mkdir(parents=True)
    (tmp_path / "client" / "login" / "index.html").write_text("<p>login page</p>")
    (tmp_path / "client" / "login.html").write_text("<p>login page</p>")
    (tmp_path / "404.html").write_text("<p>not found</p>")
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "app.js").write_text("console.log(1)")
    return tmp_path


def _static(build: Path) -> PrecompressedStaticFiles:
    return PrecompressedStaticFiles(directory=build, html=True, encodings=[])


def test_reflexs_static_server_redirects_a_page_without_its_slash(build):
    # The canary: the redirect this wrapper saves. If Reflex stops making it, drop the wrapper.
    plain = TestClient(_static(build), follow_redirects=False)
    response = plain.get("/client/login")
    assert response.status_code == 307
    assert response.headers["location"].endswith("/client/login/")


def test_a_page_without_its_slash_is_served_at_once(build):
    browser = TestClient(
        PageWithoutRedirect(_static(build), pages_dir=build), follow_redirects=False
    )
    for path in ("/client/login", "/client/login/"):
        response = browser.get(path)
        assert (response.status_code, response.text) == (200, "<p>login page</p>"), path
    assert browser.head("/client/login").status_code == 200


@pytest.mark.parametrize(
    ("path", "status"),
    [
        ("/assets/app.js", 200),  # files are untouched
        ("/client/invoices", 404),  # no such page in this build: the static server's answer
        ("/assets", 404),  # a folder without index.html: left to the static server
    ],
)
def test_other_paths_pass_untouched(build, path, status):
    browser = TestClient(
        PageWithoutRedirect(_static(build), pages_dir=build), follow_redirects=False
    )
    assert browser.get(path).status_code == status
