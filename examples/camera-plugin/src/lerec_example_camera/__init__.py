"""A minimal third-party lerec camera plugin."""
