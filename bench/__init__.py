"""Benchmarks: newsplus against a bare litestar handler and against Wagtail, as ratios in one run."""
