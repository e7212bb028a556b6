-- traffic-timeline: counted bytes per traffic class over time.
--
-- Reads: flows_classified.
-- Parameters: $bucket (default hour): the time unit of a row (minute, hour, day, week, month),
-- taken from each record's start. Records without a start (a custom format that leaves it out)
-- have no place on a timeline and are left out.
-- Columns: bucket (its start, UTC), traffic_class, records, counted_bytes.
-- Records are summed per minute first (date_bin is arithmetic, where date_trunc works through
-- calendar fields for each value), then the minutes per bucket: every bucket is whole minutes.
WITH minutes AS (
    SELECT
        date_bin(INTERVAL '1 minute', start) AS minute,
        traffic_class,
        count(*) AS records,
        sum(bytes) AS bytes
    FROM flows_classified
    WHERE counted AND start IS NOT NULL
    GROUP BY date_bin(INTERVAL '1 minute', start), traffic_class
)
SELECT
    date_trunc($bucket, minute) AS bucket,
    traffic_class,
    sum(records) AS records,
    COALESCE(sum(bytes), 0) AS counted_bytes
FROM minutes
GROUP BY date_trunc($bucket, minute), traffic_class
ORDER BY bucket, traffic_class
