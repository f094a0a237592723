"""REST API of the claims app."""
