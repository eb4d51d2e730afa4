"""dlt sources, one package per API (dlt verified-sources layout)."""
