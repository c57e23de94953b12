"""Check: the row checks as pandera schemas generated from the specs, and the check library."""
