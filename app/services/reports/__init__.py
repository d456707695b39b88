"""Reports: what the admin pages show of the region."""
from app.services.reports.overview import region_counts

__all__ = ["region_counts"]
