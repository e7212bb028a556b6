-- traffic-timeline: counted bytes per traffic class over time.
--
-- Reads: flows_classified.
-- Parameters: $bucket (default hour): the time unit of a row (minute, hour, day, week, month),
-- taken from each record's start. Records without a start (a custom format that leaves it out)
-- have no place on a timeline and are left out.
-- Columns: bucket (its start, UTC), traffic_class, records, counted_bytes.
SELECT
    date_trunc($bucket, start) AS bucket,
    traffic_class,
    count(*) AS records,
    COALESCE(sum(bytes), 0) AS counted_bytes
FROM flows_classified
WHERE counted AND start IS NOT NULL
GROUP BY date_trunc($bucket, start), traffic_class
ORDER BY bucket, traffic_class
