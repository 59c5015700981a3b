"""The site's own pages outside the admin and the API: the drawing page, health, metrics."""
