"""Case intake from the departments' business systems."""
