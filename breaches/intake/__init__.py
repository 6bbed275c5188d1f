"""Reporting a breach or near miss, and adding to a report.

Services, forms, views, upload checks and kept input.
"""
