//! AWS ip-ranges.json: parsing and the longest-prefix service index.
