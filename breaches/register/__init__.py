"""The register and the pages officers work from.

Filters, exports, the incident page and the officer's home.
"""
