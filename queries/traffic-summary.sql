-- traffic-summary: records and bytes per traffic class, over every observation and counted once.
--
-- Reads: flows_classified.
-- Columns: traffic_class (nodata / skipdata for records that carry no traffic), records, bytes,
-- packets (over every vantage that logged the traffic), counted_records, counted_bytes (each
-- byte once: the vantage cost figures use), share_of_counted_bytes (0..1).
SELECT
    COALESCE(traffic_class, lower(log_status)) AS traffic_class,
    count(*) AS records,
    COALESCE(sum(bytes), 0) AS bytes,
    COALESCE(sum(packets), 0) AS packets,
    count(*) FILTER (WHERE counted) AS counted_records,
    COALESCE(sum(bytes) FILTER (WHERE counted), 0) AS counted_bytes,
    round(
        CAST(COALESCE(sum(bytes) FILTER (WHERE counted), 0) AS DOUBLE)
            / CAST(greatest(sum(sum(bytes) FILTER (WHERE counted)) OVER (), 1) AS DOUBLE),
        4
    ) AS share_of_counted_bytes
FROM flows_classified
GROUP BY COALESCE(traffic_class, lower(log_status))
ORDER BY counted_bytes DESC, traffic_class
