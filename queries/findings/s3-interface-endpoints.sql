-- s3-interface-endpoints: S3 traffic from inside the VPC that pays an interface endpoint's
-- processing fee where a gateway endpoint would carry it for free.
--
-- Findings: s3-interface-endpoints.
-- Reads: report_endpoint_bytes, audit_basis; prices through price() and billed_usd().
-- The bytes of an S3 interface endpoint whose client lies in the endpoint's VPC. Clients on
-- premises or in peered VPCs need the interface endpoint; clients inside the VPC don't. When
-- every byte came from inside, the hourly fee is saved too. The processing fee saved is that of
-- the top of the region's monthly volume of interface endpoint traffic (its tiers).
WITH region_volume AS (
    SELECT region, sum(bytes) AS bytes
    FROM report_endpoint_bytes
    WHERE endpoint_type = 'interface'
    GROUP BY region
),
costed AS (
    SELECT
        e.*,
        -billed_usd('interface_endpoint_gb', e.region, -e.in_vpc_bytes / b.bytes_per_gb * b.scale,
            v.bytes / b.bytes_per_gb * b.scale) AS processing_fee,
        CASE WHEN e.in_vpc_bytes = e.bytes
            THEN COALESCE(e.az_count, 1) * price('interface_endpoint_hour', e.region)
                * b.month_hours
            ELSE 0 END AS hourly_fee,
        b.window_hours
    FROM report_endpoint_bytes e
    LEFT JOIN region_volume v ON v.region IS NOT DISTINCT FROM e.region
    CROSS JOIN audit_basis b
    WHERE e.endpoint_type = 'interface' AND upper(e.service) = 'S3' AND e.in_vpc_bytes > 0
)
SELECT
    's3-interface-endpoints' AS finding,
    endpoint_id AS resource,
    vpc_id,
    region,
    CAST(in_vpc_bytes AS BIGINT) AS bytes,
    processing_fee + hourly_fee AS monthly_usd,
    format_bytes(in_vpc_bytes) || ' of ' || format_bytes(bytes) || ' in '
        || CAST(round(window_hours, 2) AS VARCHAR)
        || ' h came from clients inside the VPC; they pay ' || usd(processing_fee)
        || '/month in processing fees'
        || CASE WHEN hourly_fee > 0 THEN ' and, with no other client, '
            || usd(hourly_fee) || '/month in hourly fees' ELSE '' END AS evidence,
    'Add an S3 gateway endpoint to ' || COALESCE(vpc_id, 'the VPC')
        || ' for clients inside it; keep the interface endpoint only for on-premises or '
        || 'cross-region access.' AS action
FROM costed
ORDER BY monthly_usd DESC, resource
