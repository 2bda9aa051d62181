"""SQLite: the connection and its refusals, the migrations, crawl runs and evidence files."""
