"""Figures: one place that computes what the admin, the public page and the monthly report show."""
