"""reflex_ext/route_preload.RoutePreload in front of Reflex's static server for the built front
end: a URL of a dynamic route (an id in it) gets the SPA fallback with modulepreloads of its
route's chunk and imports; everything else is the static server's answer."""

from __future__ import annotations

import gzip
import json
import os
import re
from pathlib import Path

import pytest
from reflex.utils.precompressed_staticfiles import PrecompressedStaticFiles
from starlette.testclient import TestClient

from portal_app.reflex_ext.route_preload import RoutePreload, build_variants, match

ROOT = ["/assets/runtime-AAAAAAAA.js", "/assets/vendor-BBBBBBBB.js"]
INVOICE = "/assets/_client_._invoices_.__id_._index-CCCCCCCC.js"
DROPZONE = "/assets/dist-DDDDDDDD.js"
NEW_INVOICE = "/assets/_staff_._invoices_._new_._index-EEEEEEEE.js"
STAFF_INVOICE = "/assets/_staff_._invoices_.__id_._index-FFFFFFFF.js"

# The shape of React Router's manifest and of Reflex's 404.html (SPA mode), cut down.
MANIFEST = {
    "entry": {"module": "/assets/entry.client-GGGGGGGG.js", "imports": ROOT, "css": []},
    "routes": {
        "root": {"id": "root", "path": "", "module": "/assets/root-HHHHHHHH.js", "imports": ROOT},
        "routes/[client].[invoices].$[id]._index": {
            "path": "client/invoices/:id",
            "index": True,
            "parentId": "root",
            "module": INVOICE,
            "imports": [*ROOT, DROPZONE],
        },
        "routes/[staff].[invoices].$[id]._index": {
            "path": "staff/invoices/:id",
            "module": STAFF_INVOICE,
            "imports": ROOT,
        },
        "routes/[staff].[invoices].[new]._index": {
            "path": "staff/invoices/new",
            "module": NEW_INVOICE,
            "imports": ROOT,
        },
        "routes/[client].[invoices]._index": {
            "path": "client/invoices",
            "module": "/assets/list-IIIIIIII.js",
            "imports": ROOT,
        },
        "routes/[404]._index": {"path": "*", "module": "/assets/_404-JJJJJJJJ.js", "imports": []},
    },
    "url": "/assets/manifest-0123abcd.js",
    "version": "0123abcd",
}
FALLBACK = (
    '<!DOCTYPE html><html lang="en"><head><meta charSet="utf-8"/>'
    '<link rel="modulepreload" href="/assets/manifest-0123abcd.js"/>'
    '<link rel="modulepreload" href="/assets/entry.client-GGGGGGGG.js"/>'
    + "".join(f'<link rel="modulepreload" href="{url}"/>' for url in ROOT)
    + '<link rel="modulepreload" href="/assets/root-HHHHHHHH.js"/>'
    "<script>theme()</script></head><body><p>fallback</p></body></html>"
)


@pytest.fixture
def build(tmp_path: Path) -> Path:
    (tmp_path / "assets").mkdir()
    (tmp_path / "assets" / "manifest-0123abcd.js").write_text(
        "window.__reactRouterManifest=" + json.dumps(MANIFEST) + ";"
    )
    (tmp_path / "404.html").write_text(FALLBACK)
    for page in ("client/invoices", "staff/invoices/new"):
        (tmp_path / page).mkdir(parents=True)
        (tmp_path / page / "index.html").write_text(f"<p>{page}</p>")
    return tmp_path


def _static(build: Path) -> PrecompressedStaticFiles:
    # As get_frontend_mount makes it: routable paths without a file get 404.html at 200.
    return PrecompressedStaticFiles(
        directory=build, html=True, encodings=["gzip"], router=lambda path: path
    )


def _preloads(html: str) -> list[str]:
    return re.findall(r'<link rel="modulepreload" href="([^"]+)"/>', html)


def test_an_id_url_preloads_its_route_chunk_and_its_imports_after_the_roots(build):
    browser = TestClient(RoutePreload(_static(build), pages_dir=build))
    response = browser.get("/client/invoices/42")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    preloads = _preloads(response.text)
    # The fallback's own preloads first and unchanged, then the route's, none twice.
    assert preloads == [*_preloads(FALLBACK), INVOICE, DROPZONE]
    assert (
        response.text.replace(
            f'<link rel="modulepreload" href="{INVOICE}"/>'
            f'<link rel="modulepreload" href="{DROPZONE}"/>',
            "",
        )
        == FALLBACK
    )
    assert _preloads(browser.get("/staff/invoices/7/").text)[-1] == STAFF_INVOICE


def test_gzip_head_and_a_revalidation(build):
    browser = TestClient(RoutePreload(_static(build), pages_dir=build))
    plain = browser.get("/client/invoices/42", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in plain.headers
    raw = browser.get(
        "/client/invoices/42", headers={"accept-encoding": "gzip"}, follow_redirects=False
    )
    assert raw.headers["content-encoding"] == "gzip"
    assert raw.content == plain.content  # httpx decodes it
    assert gzip.decompress(build_variants(build)[0].gzipped) == plain.content
    head = browser.head("/client/invoices/42")
    assert (head.status_code, head.content) == (200, b"")
    again = browser.get("/client/invoices/42", headers={"if-none-match": plain.headers["etag"]})
    assert again.status_code == 304


@pytest.mark.parametrize(
    ("path", "status", "text"),
    [
        ("/staff/invoices/new", 200, "<p>staff/invoices/new</p>"),  # prerendered: its own file
        ("/client/invoices/", 200, "<p>client/invoices</p>"),  # not dynamic
        ("/assets/manifest-0123abcd.js", 200, None),  # files untouched
        ("/client/invoices/42/extra", 200, FALLBACK),  # no dynamic route matches: plain fallback
    ],
)
def test_other_paths_are_the_static_servers(build, path, status, text):
    browser = TestClient(RoutePreload(_static(build), pages_dir=build))
    plain = TestClient(_static(build))
    response = browser.get(path)
    assert response.status_code == status
    assert response.content == plain.get(path).content
    if text is not None:
        assert response.text == text


def test_a_post_passes_through(build):
    seen = []

    async def app(scope, receive, send):
        seen.append(scope["method"])
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    assert (
        TestClient(RoutePreload(app, pages_dir=build)).post("/client/invoices/42").status_code
        == 204
    )
    assert seen == ["POST"]


def test_the_most_specific_route_wins(build):
    variants = build_variants(build)
    assert {v.pattern for v in variants} == {
        ("client", "invoices", ":id"),
        ("staff", "invoices", ":id"),
    }
    assert match(variants, "client/invoices/42").pattern == ("client", "invoices", ":id")
    assert match(variants, "client/credits/42") is None


def test_without_a_build_or_manifest_everything_passes_through(tmp_path):
    assert build_variants(tmp_path) == []
    (tmp_path / "404.html").write_text(FALLBACK)  # names a manifest that is not there
    assert build_variants(tmp_path) == []


def test_a_new_build_is_read_again(build):
    preload = RoutePreload(_static(build), pages_dir=build)
    assert len(preload.variants()) == 2
    (build / "404.html").write_text("<p>no preloads</p>")
    os.utime(build / "404.html", (1, 1))
    assert preload.variants() == []


def test_a_frontend_path_prefix(build):
    browser = TestClient(RoutePreload(_static(build), pages_dir=build, prefix="/app"))
    assert INVOICE in browser.get("/app/client/invoices/42").text
    assert INVOICE not in browser.get("/client/invoices/42").text
