"""Web pages for the accounts domain."""
