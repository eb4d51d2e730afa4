"""dlt sources that land DefiLlama, Artemis and Velo metrics in PostgreSQL."""
