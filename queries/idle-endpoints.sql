-- idle-endpoints: interface endpoints that carried no traffic in the window, and those that
-- carried little.
--
-- Reads: flows_classified, vpc_endpoints.
-- Parameters: $low_traffic_bytes (default 1048576): below this many bytes an endpoint that did
-- carry traffic is listed as low_traffic.
-- An endpoint is idle when no OK record was logged on any of its ENIs: only NODATA records, or
-- none at all. skipdata_records > 0 means some of the window was not seen (treat "idle" with
-- care). age_days counts from the endpoint's creation to the end of the logged window.
-- enis_logged of its enis had at least one record of any status (NODATA counts: it shows the
-- ENI is logged); logged_from is the latest first record among them and logged_until the
-- earliest last one, so every ENI was seen logging from logged_from to logged_until. The audit
-- calls an endpoint idle only when that span covers its window.
-- Columns: endpoint_id, status (idle | low_traffic), service, vpc_id, region, az_count, state,
-- ok_records, bytes, nodata_records, skipdata_records, created, age_days, enis, enis_logged,
-- logged_from, logged_until.
WITH activity AS (
    SELECT
        interface_id,
        count(*) FILTER (WHERE COALESCE(log_status, 'OK') = 'OK') AS ok_records,
        COALESCE(sum(bytes) FILTER (WHERE COALESCE(log_status, 'OK') = 'OK'), 0) AS bytes,
        count(*) FILTER (WHERE log_status = 'NODATA') AS nodata_records,
        count(*) FILTER (WHERE log_status = 'SKIPDATA') AS skipdata_records,
        min(start) AS first_start,
        max("end") AS last_end
    FROM flows_classified
    GROUP BY interface_id
),
endpoint_enis AS (
    SELECT endpoint_id, unnest(eni_ids) AS eni_id
    FROM vpc_endpoints
    WHERE endpoint_type = 'interface'
),
per_endpoint AS (
    SELECT
        ee.endpoint_id,
        COALESCE(sum(a.ok_records), 0) AS ok_records,
        COALESCE(sum(a.bytes), 0) AS bytes,
        COALESCE(sum(a.nodata_records), 0) AS nodata_records,
        COALESCE(sum(a.skipdata_records), 0) AS skipdata_records,
        count(ee.eni_id) AS enis,
        count(ee.eni_id) FILTER (WHERE a.interface_id IS NOT NULL) AS enis_logged,
        max(a.first_start) AS logged_from,
        min(a.last_end) AS logged_until,
        max(max(a.last_end)) OVER () AS window_end
    FROM endpoint_enis ee
    FULL JOIN activity a ON a.interface_id = ee.eni_id
    GROUP BY ee.endpoint_id
)
SELECT
    e.endpoint_id,
    CASE WHEN p.ok_records = 0 THEN 'idle' ELSE 'low_traffic' END AS status,
    e.service,
    e.vpc_id,
    e.region,
    e.az_count,
    e.state,
    p.ok_records,
    p.bytes,
    p.nodata_records,
    p.skipdata_records,
    e.created,
    (to_unixtime(p.window_end) - to_unixtime(e.created)) / 86400 AS age_days,
    p.enis,
    p.enis_logged,
    p.logged_from,
    p.logged_until
FROM per_endpoint p
JOIN vpc_endpoints e ON e.endpoint_id = p.endpoint_id
WHERE p.ok_records = 0 OR p.bytes < $low_traffic_bytes
ORDER BY status, bytes, e.endpoint_id
