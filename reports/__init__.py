"""Monthly reports as the xlsx the bureau hands upward (`flask report monthly`)."""
