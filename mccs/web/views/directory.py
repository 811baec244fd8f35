"""Web pages for the directory domain."""
