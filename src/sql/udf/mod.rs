//! SQL functions for IP addresses, CIDRs and AWS service ranges.
