"""Per-unit rollups of unit data at 5 minutes, 1 hour and 1 day, kept up to date by ``apis jobs``."""
