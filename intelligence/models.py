"""Models of the intelligence app."""
