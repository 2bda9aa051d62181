"""Headless Chromium for pages a browser can judge differently: the pooled browser and what the
crawl does with a rendered page."""
