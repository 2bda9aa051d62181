"""Does the crawl's proxy tunnel HTTPS at all? Many corporate and test proxies refuse every
CONNECT; trying ``https://`` first on every site then costs a useless request per site.

After the proxy refused the tunnel for :data:`AFTER` different sites and never opened one, the
spider goes straight to ``http://`` (recording the skipped attempt), still probing one site in
:data:`PROBE_EVERY` so a proxy that starts tunnelling is noticed. A site that redirects to
``https://`` is still followed there.
"""

from __future__ import annotations

AFTER = 20
PROBE_EVERY = 50
SKIPPED = "skipped: the proxy refused the HTTPS tunnel (CONNECT) for every site so far"


class ProxyTunnels:
    def __init__(self) -> None:
        self.refused = 0
        self.opened = False

    def refused_once(self) -> None:
        self.refused += 1

    def opened_once(self) -> None:
        self.opened = True

    def skip_https(self, key: int) -> bool:
        """Whether to skip the https attempt for the site numbered ``key`` (e.g. its domain id)."""
        return not self.opened and self.refused >= AFTER and key % PROBE_EVERY != 0
