"""DefiLlama source tests."""
