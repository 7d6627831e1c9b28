"""A small plugin used by the tests: it exercises every core hook the way a real plugin would."""
