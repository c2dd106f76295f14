"""Maintenance scripts that are not part of the running application (fonts)."""
