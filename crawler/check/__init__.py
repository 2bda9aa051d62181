"""Is the number displayed as clause 2 requires? The footer check (pure, on bytes: ``finding``,
``decode``, ``scan``, ``signals``, ``parse``, ``decide``), the crawl's verdicts around it
(``outcome``), the rendered-page check (``rendered``) and the worker processes that run it
(``pool``). The footer check's public names are here."""

from crawler.check.decide import check_page
from crawler.check.decode import decode_page
from crawler.check.finding import Finding, LabelEvidence, NumberEvidence, Verdict

__all__ = ["Finding", "LabelEvidence", "NumberEvidence", "Verdict", "check_page", "decode_page"]
