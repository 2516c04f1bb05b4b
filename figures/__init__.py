"""Figures: the measures the admin, the public page and the monthly report share."""
