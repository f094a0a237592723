"""Where articles come from: outlets, articles, feeds, fetching and extraction."""
