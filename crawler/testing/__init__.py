"""Test fakes: the local example web the demo, tests and benchmarks crawl. Not imported by
runtime code and not shipped in the distribution."""
