"""One module per service area; each function parses, authorises, calls common/, responds."""
