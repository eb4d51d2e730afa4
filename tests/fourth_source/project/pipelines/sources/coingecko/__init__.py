"""CoinGecko: daily USD prices, market caps and volumes of a few coins."""
