-- nat-gateway-endpoints: S3 and DynamoDB traffic that pays the NAT gateway's processing fee
-- where a gateway endpoint would carry it for free.
--
-- Findings: nat-s3, nat-dynamodb.
-- Reads: report_nat_aws_services, vpc_endpoints, routes, audit_basis; prices through price().
-- Only bytes to the service in the NAT gateway's own region count (a gateway endpoint serves
-- its region only). When the VPC has a gateway endpoint for the service already, the route
-- tables that send traffic to this NAT gateway but are not associated with the endpoint are
-- named: associating them is the fix.
WITH gateway AS (
    SELECT
        vpc_id,
        upper(service) AS service,
        min(endpoint_id) AS endpoint_id,
        flatten(array_agg(route_table_ids)) AS route_table_ids
    FROM vpc_endpoints
    WHERE endpoint_type = 'gateway'
    GROUP BY vpc_id, upper(service)
),
nat_tables AS (
    SELECT DISTINCT target_id AS nat_gateway_id, route_table_id
    FROM routes
    WHERE target_type = 'nat'
),
candidates AS (
    SELECT
        n.nat_gateway_id,
        n.vpc_id,
        n.region,
        n.service,
        n.same_region_bytes,
        g.endpoint_id,
        g.route_table_ids
    FROM report_nat_aws_services n
    LEFT JOIN gateway g ON g.vpc_id = n.vpc_id AND g.service = n.service
    WHERE n.service IN ('S3', 'DYNAMODB') AND n.same_region_bytes > 0
),
unassociated AS (
    SELECT
        c.nat_gateway_id,
        c.service,
        count(t.route_table_id) AS nat_tables,
        array_to_string(
            array_sort(array_agg(t.route_table_id) FILTER (
                WHERE c.endpoint_id IS NOT NULL
                    AND NOT array_has(COALESCE(c.route_table_ids, make_array()), t.route_table_id)
            )),
            ', '
        ) AS tables
    FROM candidates c
    LEFT JOIN nat_tables t ON t.nat_gateway_id = c.nat_gateway_id
    GROUP BY c.nat_gateway_id, c.service
)
SELECT
    'nat-' || lower(c.service) AS finding,
    c.nat_gateway_id AS resource,
    c.vpc_id,
    c.region,
    CAST(c.same_region_bytes AS BIGINT) AS bytes,
    c.same_region_bytes / b.bytes_per_gb * price('nat_gateway_gb', c.region) * b.scale
        AS monthly_usd,
    format_bytes(c.same_region_bytes) || ' to '
        || c.service || ' in ' || COALESCE(c.region, 'its region') || ' in '
        || CAST(round(b.window_hours, 2) AS VARCHAR) || ' h went through the NAT gateway; '
        || CASE
            WHEN c.endpoint_id IS NULL THEN 'the VPC has no ' || c.service || ' gateway endpoint'
            WHEN u.tables <> '' THEN 'the VPC has gateway endpoint ' || c.endpoint_id
                || ', but route tables ' || u.tables || ' send traffic to this NAT gateway '
                || 'without it'
            WHEN u.nat_tables = 0 THEN 'the VPC has gateway endpoint ' || c.endpoint_id
                || ' (no route tables given to tell which subnets miss it)'
            ELSE 'the VPC has gateway endpoint ' || c.endpoint_id
                || ' on every route table that uses this NAT gateway'
        END AS evidence,
    CASE
        WHEN c.endpoint_id IS NULL THEN 'Create a ' || c.service || ' gateway endpoint in '
            || COALESCE(c.vpc_id, 'the VPC') || ' and associate it with the route tables of the '
            || 'subnets behind this NAT gateway (gateway endpoints cost nothing).'
        WHEN u.tables <> '' THEN 'Associate ' || c.endpoint_id || ' with ' || u.tables || '.'
        ELSE 'Find the clients that still reach ' || c.service || ' through the NAT gateway '
            || '(report nat-aws-services) and route them through ' || c.endpoint_id || '.'
    END AS action
FROM candidates c
JOIN unassociated u ON u.nat_gateway_id = c.nat_gateway_id AND u.service = c.service
CROSS JOIN audit_basis b
ORDER BY monthly_usd DESC, resource, finding
