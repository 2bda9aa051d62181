"""Getting the homepage: Scrapy middlewares and extensions around the download (the private
address guard, robots.txt per origin, meta refresh, proxy tunnels, slot GC, progress, stopping)."""
