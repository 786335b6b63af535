"""Quality reports: figures against their targets, computed from reviewed audit data."""
