-- single-az-endpoints: interface endpoints with an ENI in one AZ only that serve clients in
-- several: if that AZ fails, every client loses the service.
--
-- Findings: single-az-endpoints.
-- Reads: report_endpoint_clients, vpc_endpoints, audit_basis; prices through price().
-- PrivateLink's own cross-AZ transfer costs nothing since 2022, so this is an availability
-- finding without a saving; the evidence gives the bytes that crossed AZs, the action what a
-- second AZ costs.
WITH per_endpoint AS (
    SELECT
        endpoint_id,
        min(endpoint_az) AS endpoint_az,
        count(DISTINCT endpoint_az) AS endpoint_azs,
        count(DISTINCT client_az) AS client_azs,
        array_to_string(array_sort(array_agg(DISTINCT client_az)), ', ') AS client_zones,
        COALESCE(sum(bytes) FILTER (WHERE cross_az), 0) AS cross_az_bytes
    FROM report_endpoint_clients
    WHERE endpoint_id IS NOT NULL
    GROUP BY endpoint_id
)
SELECT
    'single-az-endpoints' AS finding,
    p.endpoint_id AS resource,
    e.vpc_id,
    e.region,
    CAST(p.cross_az_bytes AS BIGINT) AS bytes,
    CAST(NULL AS DOUBLE) AS monthly_usd,
    COALESCE(e.service, 'unknown service') || ' endpoint only in '
        || COALESCE(p.endpoint_az, 'one AZ') || ' serves clients in '
        || CAST(p.client_azs AS VARCHAR) || ' AZs (' || p.client_zones || '); '
        || format_bytes(p.cross_az_bytes) || ' crossed AZs in '
        || CAST(round(b.window_hours, 2) AS VARCHAR) || ' h' AS evidence,
    'Add a subnet in each client AZ to the endpoint (' || usd(price('interface_endpoint_hour', e.region)
        * b.month_hours) || '/month per AZ) so one AZ''s outage does not cut the service.'
        AS action
FROM per_endpoint p
LEFT JOIN vpc_endpoints e ON e.endpoint_id = p.endpoint_id
CROSS JOIN audit_basis b
WHERE COALESCE(e.az_count, p.endpoint_azs) = 1
    AND (p.client_azs > 1 OR p.cross_az_bytes > 0)
ORDER BY resource
