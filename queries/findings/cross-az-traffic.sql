-- cross-az-traffic: traffic between two resources of a region in different availability zones,
-- which AWS bills out of one zone and into the other.
--
-- Findings: cross-az-traffic.
-- Reads: report_cross_az, audit_basis; prices through price().
-- One finding per pair of resources (both directions together), from the billed rows of the
-- cross-az report: each GB pays cross_az_gb twice ($0.01 out of one zone and $0.01 into the
-- other at us-east-1 list prices). An application load balancer's cross-zone traffic is not
-- billed and is left out.
WITH pairs AS (
    SELECT
        least(src_type || ' ' || src_resource || ' (' || src_az || ')',
            dst_type || ' ' || dst_resource || ' (' || dst_az || ')') AS side_a,
        greatest(src_type || ' ' || src_resource || ' (' || src_az || ')',
            dst_type || ' ' || dst_resource || ' (' || dst_az || ')') AS side_b,
        min(region) AS region,
        min(src_vpc_id) AS vpc_id,
        bool_or(src_vpc_id IS DISTINCT FROM dst_vpc_id) AS peered,
        bool_or(src_type = 'load_balancer' OR dst_type = 'load_balancer') AS load_balancer,
        sum(bytes) AS bytes
    FROM report_cross_az
    WHERE billed
    GROUP BY 1, 2
)
SELECT
    'cross-az-traffic' AS finding,
    side_a || ' <-> ' || side_b AS resource,
    vpc_id,
    region,
    CAST(bytes AS BIGINT) AS bytes,
    bytes / b.bytes_per_gb * 2 * price('cross_az_gb', region) * b.scale AS monthly_usd,
    format_bytes(bytes) || ' crossed availability zones between ' || side_a || ' and ' || side_b
        || CASE WHEN peered THEN ' over VPC peering' ELSE '' END || ' in '
        || CAST(round(b.window_hours, 2) AS VARCHAR) || ' h; AWS bills '
        || usd(price('cross_az_gb', region), 3) || '/GB out of one zone and again into the other'
        AS evidence,
    CASE WHEN load_balancer
        THEN 'Turn off cross-zone load balancing on the load balancer (or use availability '
            || 'zone affinity) so clients reach targets in their own zone, and keep a target '
            || 'in each zone.'
        ELSE 'Keep the two in one zone: place the client beside what it talks to, or give each '
            || 'zone its own copy (a replica, a zonal endpoint or a cache) and prefer it.'
    END AS action
FROM pairs
CROSS JOIN audit_basis b
ORDER BY monthly_usd DESC, resource
