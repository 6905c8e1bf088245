"""Every test gets its own token cache (xlt.train.token_cache), so no result depends on what an earlier test, or
an earlier run in this checkout, left in ``.xlt-cache/``."""

import pytest


@pytest.fixture(autouse=True)
def own_token_cache(tmp_path_factory, monkeypatch):
    monkeypatch.setenv("XLT_TOKEN_CACHE", str(tmp_path_factory.mktemp("token-cache")))
