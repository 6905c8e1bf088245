"""English title -> target title online, through the MediaWiki API (``Wikipedia-API`` package).

For every English title one ``action=query&prop=langlinks&lllang=<target>&redirects=1`` request gives
both the page after redirects and its interlanguage link. The ``Wikipedia-API`` client does the
request, its retries (429 and 5xx, with exponential backoff that honours ``Retry-After``) and the
parsing. The client builds its URL as ``https://<lang>.wikipedia.org/w/api.php`` and offers no option
to change it, but it accepts an ``httpx`` transport; :class:`CachingTransport` is that transport and
adds what Wikimedia's API etiquette and reproducible workflows need:

* the endpoint from ``wikipedia.api.endpoint_template`` (a mirror, or a local test server);
* a rate limit (``requests_per_second``) over every request that reaches the network, retries included;
* an on-disk cache of successful answers keyed by the endpoint and the sorted query parameters, so a
  request is never sent twice -- a rerun is answered from disk without touching the network.

The User-Agent names the project and the contact from ``wikipedia.api.contact``, as the Wikimedia
User-Agent policy asks.
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

import httpx

from xlt.errors import UserError
from xlt.io import write_text

log = logging.getLogger(__name__)

__all__ = ["USER_AGENT_NAME", "user_agent", "CachingTransport", "WikipediaApiMapper"]

USER_AGENT_NAME = "xlt-zero-shot-transfer"

_HOP_HEADERS = {"content-encoding", "content-length", "transfer-encoding", "connection"}


def user_agent(contact: str) -> str:
    """``xlt-zero-shot-transfer/<version> (<contact>)``."""
    import xlt

    contact = (contact or "").strip()
    if len(contact) < 3:
        raise UserError("wikipedia.api.contact: a contact (e-mail or URL) is required for the User-Agent")
    return f"{USER_AGENT_NAME}/{xlt.__version__} ({contact})"


class CachingTransport(httpx.BaseTransport):
    """An ``httpx`` transport that redirects to a configured endpoint, rate-limits and caches.

    ``endpoint_template`` holds ``{lang}``; the language comes from the host the client asked for
    (``<lang>.wikipedia.org``). Only 200 answers with a JSON body and no API ``error`` are cached.
    """

    def __init__(
        self,
        endpoint_template: str,
        cache_dir,
        requests_per_second: float = 1.0,
        inner: httpx.BaseTransport | None = None,
        clock=time.monotonic,
        sleep=time.sleep,
    ):
        if "{lang}" not in endpoint_template:
            raise UserError("wikipedia.api.endpoint_template: must contain {lang}")
        if requests_per_second <= 0:
            raise UserError("wikipedia.api.requests_per_second: must be positive")
        self.endpoint_template = endpoint_template
        self.cache_dir = Path(cache_dir)
        self.min_interval = 1.0 / requests_per_second
        self.inner = inner or httpx.HTTPTransport()
        self._clock, self._sleep = clock, sleep
        self._last = None
        self._lock = threading.Lock()
        self.sent = 0  # requests that reached the network (retries included)
        self.cache_hits = 0

    def _cache_file(self, url: str, params: list[tuple[str, str]]) -> Path:
        key = hashlib.sha256((url + "?" + urlencode(sorted(params))).encode()).hexdigest()
        return self.cache_dir / key[:2] / f"{key}.json"

    def _wait_turn(self) -> None:
        with self._lock:
            now = self._clock()
            if self._last is not None:
                delay = self._last + self.min_interval - now
                if delay > 0:
                    self._sleep(delay)
                    now = self._clock()
            self._last = now

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        lang = request.url.host.split(".", 1)[0]
        url = self.endpoint_template.format(lang=lang)
        params = [(k, v) for k, v in request.url.params.multi_items()]
        cache = self._cache_file(url, params)
        if cache.exists():
            self.cache_hits += 1
            return httpx.Response(
                200, headers={"content-type": "application/json"}, content=cache.read_bytes(), request=request
            )
        self._wait_turn()
        forward = httpx.Request("GET", url, params=params, headers=request.headers)
        self.sent += 1
        response = self.inner.handle_request(forward)
        try:
            content = response.read()
        finally:
            response.close()
        if response.status_code == 200 and _cacheable(content):
            write_text(cache, content.decode("utf-8"))
        headers = [(k, v) for k, v in response.headers.multi_items() if k.lower() not in _HOP_HEADERS]
        return httpx.Response(response.status_code, headers=headers, content=content, request=request)

    def close(self) -> None:
        self.inner.close()


def _cacheable(content: bytes) -> bool:
    try:
        data = json.loads(content)
    except ValueError:
        return False
    return isinstance(data, dict) and "error" not in data


class WikipediaApiMapper:
    """English titles -> (English title after redirects, target title) through the MediaWiki API."""

    def __init__(
        self,
        lang: str,
        contact: str,
        *,
        cache_dir,
        endpoint_template: str = "https://{lang}.wikipedia.org/w/api.php",
        requests_per_second: float = 1.0,
        max_retries: int = 5,
        retry_wait: float = 1.0,
        timeout: float = 30.0,
        inner_transport: httpx.BaseTransport | None = None,
    ):
        import wikipediaapi

        self.lang = lang
        self.transport = CachingTransport(endpoint_template, cache_dir, requests_per_second, inner=inner_transport)
        self.endpoint = endpoint_template.format(lang="en")
        self.max_retries = max_retries
        self.looked_up = 0
        self._wiki = wikipediaapi.Wikipedia(
            user_agent=user_agent(contact),
            language="en",
            max_retries=max_retries,
            retry_wait=retry_wait,
            transport=self.transport,
            timeout=timeout,
        )

    @classmethod
    def from_config(cls, wiki: dict, lang: str) -> "WikipediaApiMapper":
        """Build from the ``wikipedia`` config section (its ``api`` block)."""
        api = wiki.get("api") or {}
        if not api.get("cache_dir"):
            raise UserError("wikipedia.api.cache_dir: required when wikipedia.mapping uses api")
        return cls(
            lang,
            api.get("contact", ""),
            cache_dir=api["cache_dir"],
            endpoint_template=api.get("endpoint_template", "https://{lang}.wikipedia.org/w/api.php"),
            requests_per_second=float(api.get("requests_per_second", 1.0)),
            max_retries=int(api.get("max_retries", 5)),
            retry_wait=float(api.get("retry_wait", 1.0)),
        )

    def lookup(self, title: str) -> tuple[str | None, str | None]:
        """``(English title after redirects or None if missing, target title or None)``."""
        import wikipediaapi

        page = self._wiki.page(title)
        try:
            links = self._wiki.langlinks(page, lllang=self.lang)
        except wikipediaapi.WikipediaException as err:
            raise UserError(
                f"{self.endpoint}: no answer for {title!r} after {self.max_retries} retries ({type(err).__name__}: {err})"
            ) from None
        except (KeyError, TypeError):
            raise UserError(
                f"{self.endpoint}: unexpected answer for {title!r} (not a MediaWiki query result)"
            ) from None
        pageid = page.pageid
        if pageid is None or int(pageid) < 0:
            return None, None
        target = links.get(self.lang)
        return page.title, (target.title if target is not None else None)

    def lookup_many(self, titles) -> dict[str, tuple[str | None, str | None]]:
        """:meth:`lookup` for each title; logs progress every 500 titles looked up."""
        out = {}
        for title in titles:
            out[title] = self.lookup(title)
            self.looked_up += 1
            if self.looked_up % 500 == 0:
                self.log_progress()
        return out

    def log_progress(self) -> None:
        log.info(
            "API: %d titles looked up, %d requests sent, %d answered from the cache",
            self.looked_up,
            self.transport.sent,
            self.transport.cache_hits,
        )
