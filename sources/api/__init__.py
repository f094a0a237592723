"""REST API of the sources app."""
