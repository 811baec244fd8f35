"""Web pages for the admin domain."""
