"""Content: channels, articles and the editorial desk (built in its own step; registers its roles now)."""
