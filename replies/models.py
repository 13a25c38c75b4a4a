"""Models of the replies app."""
