"""The online title mapping against a local server that answers like the MediaWiki action API."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlparse

import pytest

from xlt.errors import UserError
from xlt.wiki.api import CachingTransport, WikipediaApiMapper, user_agent
from xlt.wiki.entities import Entity
from xlt.wiki.mapping import map_entities

# An invented little wiki: English pages, one redirect, German interlanguage links.
PAGES = {"Lindenfeld": 101, "Hafenstadt Nord": 102, "Zeta Works": 103}
REDIRECTS = {"Lindenfeld City": "Lindenfeld", "ZETA WORKS": "Zeta Works"}
LANGLINKS = {"Lindenfeld": {"de": "Lindenfeld (Stadt)"}, "Hafenstadt Nord": {"de": "Nordhafenstadt"}}


class FakeMediaWiki(BaseHTTPRequestHandler):
    """``action=query&prop=langlinks`` with ``redirects``; scripted 429/503 failures."""

    log_message = lambda self, *args: None  # noqa: E731 (quiet test output)

    def do_GET(self):  # noqa: N802 (http.server API)
        server = self.server
        url = urlparse(self.path)
        params = {k: v[-1] for k, v in parse_qs(url.query).items()}
        server.requests.append((url.path, params, self.headers.get("User-Agent", "")))
        title = params.get("titles", "")
        failures = server.failures.get(title)
        if failures:
            status = failures.pop(0)
            self.send_response(status)
            if status == 429:
                self.send_header("Retry-After", "0")
            self.end_headers()
            return
        if url.path != "/en/w/api.php" or params.get("action") != "query" or params.get("prop") != "langlinks":
            return self._json({"error": {"code": "badparams", "info": "unsupported"}})
        query: dict = {}
        target = title
        if title in REDIRECTS:
            target = REDIRECTS[title]
            query["redirects"] = [{"from": title, "to": target}]
        if target in PAGES:
            page = {"pageid": PAGES[target], "ns": 0, "title": target}
            link = LANGLINKS.get(target, {}).get(params.get("lllang"))
            if link:
                page["langlinks"] = [{"lang": params["lllang"], "url": f"https://x/{link}", "*": link}]
            query["pages"] = {str(PAGES[target]): page}
        else:
            query["pages"] = {"-1": {"ns": 0, "title": target, "missing": ""}}
        self._json({"batchcomplete": "", "query": query})

    def _json(self, obj):
        body = json.dumps(obj).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.fixture
def server():
    srv = ThreadingHTTPServer(("127.0.0.1", 0), FakeMediaWiki)
    srv.requests = []
    srv.failures = {}
    thread = threading.Thread(target=srv.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield srv
    srv.shutdown()
    srv.server_close()


def _mapper(server, cache_dir, **kw):
    port = server.server_address[1]
    return WikipediaApiMapper(
        "de",
        "data-team@example.org",
        cache_dir=cache_dir,
        endpoint_template=f"http://127.0.0.1:{port}/{{lang}}/w/api.php",
        requests_per_second=kw.pop("requests_per_second", 1000.0),
        max_retries=kw.pop("max_retries", 3),
        retry_wait=kw.pop("retry_wait", 0.01),
        **kw,
    )


def test_lookup_follows_redirects_and_survives_429_and_503(server, tmp_path):
    server.failures = {"Lindenfeld City": [429], "Hafenstadt Nord": [503, 502]}
    answers = _mapper(server, tmp_path / "cache").lookup_many(
        ["Lindenfeld City", "Hafenstadt Nord", "Zeta Works", "No Such Place"]
    )
    assert answers == {
        "Lindenfeld City": ("Lindenfeld", "Lindenfeld (Stadt)"),
        "Hafenstadt Nord": ("Hafenstadt Nord", "Nordhafenstadt"),
        "Zeta Works": ("Zeta Works", None),  # a page without a German link
        "No Such Place": (None, None),
    }
    # 4 titles + 1 retry after the 429 + 2 retries after the 5xx answers
    assert len(server.requests) == 7
    assert {r[1]["lllang"] for r in server.requests} == {"de"}
    agent = server.requests[0][2]
    assert agent.startswith("xlt-zero-shot-transfer/") and "data-team@example.org" in agent


def test_second_run_is_answered_from_the_cache(server, tmp_path):
    titles = ["Lindenfeld City", "Hafenstadt Nord", "No Such Place"]
    first = _mapper(server, tmp_path / "cache").lookup_many(titles)
    sent = len(server.requests)
    again = _mapper(server, tmp_path / "cache")
    assert again.lookup_many(titles) == first
    assert len(server.requests) == sent  # nothing reached the server
    assert again.transport.cache_hits == len(titles) and again.transport.sent == 0


def test_failed_answers_are_not_cached(server, tmp_path):
    server.failures = {"Lindenfeld City": [503, 503]}
    with pytest.raises(UserError) as err:
        _mapper(server, tmp_path / "cache", max_retries=1).lookup("Lindenfeld City")
    assert "127.0.0.1" in str(err.value) and "\n" not in str(err.value)
    # the server recovers; the next run asks again and gets the answer
    assert _mapper(server, tmp_path / "cache").lookup("Lindenfeld City") == ("Lindenfeld", "Lindenfeld (Stadt)")


def test_map_entities_with_the_api_backend_from_config(server, tmp_path):
    port = server.server_address[1]
    wiki = {
        "mapping": "api",
        "api": {
            "contact": "data-team@example.org",
            "requests_per_second": 1000.0,
            "max_retries": 2,
            "retry_wait": 0.01,
            "cache_dir": str(tmp_path / "cache"),
            "endpoint_template": f"http://127.0.0.1:{port}/{{lang}}/w/api.php",
        },
    }
    entities = [
        Entity("LINDENFELD CITY", "LOC", 7),
        Entity("Hafenstadt Nord", "LOC", 3),
        Entity("Zeta Works", "ORG", 2),
    ]
    rows, stats = map_entities(entities, "de", wiki)
    assert [(r.surface, r.en_title, r.target_title) for r in rows] == [
        ("LINDENFELD CITY", "Lindenfeld", "Lindenfeld (Stadt)"),  # all-caps surface, title-cased, redirect
        ("Hafenstadt Nord", "Hafenstadt Nord", "Nordhafenstadt"),
    ]
    assert stats["mapped"] == 2 and stats["unmapped"] == 1
    assert stats["api_requests_sent"] == len(server.requests) == 4  # the title-cased form only after a miss


def test_rate_limit_spaces_network_requests(tmp_path):
    import httpx

    class Echo(httpx.BaseTransport):
        def handle_request(self, request):
            return httpx.Response(200, json={"query": {"pages": {}}, "n": str(request.url)})

    now = [100.0]
    slept = []

    def sleep(seconds):
        slept.append(seconds)
        now[0] += seconds

    transport = CachingTransport(
        "http://mirror.test/{lang}/api.php",
        tmp_path,
        requests_per_second=2.0,
        inner=Echo(),
        clock=lambda: now[0],
        sleep=sleep,
    )
    client = httpx.Client(transport=transport)
    for title in ("A", "B", "C"):
        client.get("https://en.wikipedia.org/w/api.php", params={"titles": title})
    client.get("https://en.wikipedia.org/w/api.php", params={"titles": "A"})  # cached: no wait
    assert slept == [pytest.approx(0.5), pytest.approx(0.5)]
    assert transport.sent == 3 and transport.cache_hits == 1


def test_user_agent_needs_a_contact():
    with pytest.raises(UserError, match="wikipedia.api.contact"):
        user_agent("")
