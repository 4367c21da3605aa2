"""Open back office for DC-microgrid energy sharing (APIS Service Center replacement)."""
