-- endpoint-bypassed: a VPC has an interface endpoint for a service, yet its clients reach the
-- service's public addresses through a NAT gateway or an internet gateway.
--
-- Findings: endpoint-bypassed.
-- Reads: vpc_endpoints, report_nat_aws_services, report_internet_aws_services,
-- report_endpoint_bytes, audit_basis; prices through price() and billed_usd().
-- An endpoint's service is matched to the ip-ranges.json service of the same name (S3,
-- DYNAMODB, EC2, ...; execute-api is API_GATEWAY); services whose addresses ip-ranges.json
-- lists only as AMAZON cannot be told apart and are not matched. Only bytes to the service in
-- the VPC's own region count. Through a NAT gateway the saving is its processing fee less the
-- endpoint's own per-GB fee (in the tier the region's interface endpoints already reach); S3
-- and DynamoDB through NAT are the nat-s3 and nat-dynamodb findings (a gateway endpoint is
-- free) and are left to them. Through an internet gateway there is no fee to name: the finding
-- says the traffic leaves the VPC.
WITH endpoints AS (
    SELECT
        vpc_id,
        CASE lower(service) WHEN 'execute-api' THEN 'API_GATEWAY'
            ELSE upper(replace(service, '-', '_')) END AS service,
        min(endpoint_id) AS endpoint_id,
        bool_and(COALESCE(private_dns_enabled, false)) AS private_dns
    FROM vpc_endpoints
    WHERE endpoint_type = 'interface' AND COALESCE(state, 'available') = 'available'
    GROUP BY 1, 2
),
bypass AS (
    SELECT
        vpc_id,
        region,
        service,
        'the NAT gateway(s) ' || array_to_string(array_sort(array_agg(DISTINCT nat_gateway_id)), ', ')
            AS path,
        true AS through_nat,
        sum(same_region_bytes) AS bytes
    FROM report_nat_aws_services
    WHERE same_region_bytes > 0 AND service NOT IN ('S3', 'DYNAMODB')
    GROUP BY vpc_id, region, service
    UNION ALL
    SELECT vpc_id, region, service, 'an internet gateway', false, same_region_bytes
    FROM report_internet_aws_services
    WHERE same_region_bytes > 0
),
region_volume AS (
    SELECT region, sum(bytes) AS bytes
    FROM report_endpoint_bytes
    WHERE endpoint_type = 'interface'
    GROUP BY region
),
costed AS (
    SELECT
        x.*,
        e.endpoint_id,
        e.private_dns,
        x.bytes / b.bytes_per_gb * b.scale AS gb_per_month,
        COALESCE(v.bytes, 0) / b.bytes_per_gb * b.scale AS region_gb_per_month,
        b.window_hours
    FROM bypass x
    JOIN endpoints e ON e.vpc_id = x.vpc_id AND e.service = x.service
    LEFT JOIN region_volume v ON v.region IS NOT DISTINCT FROM x.region
    CROSS JOIN audit_basis b
)
SELECT
    'endpoint-bypassed' AS finding,
    endpoint_id AS resource,
    vpc_id,
    region,
    CAST(bytes AS BIGINT) AS bytes,
    CASE WHEN through_nat THEN gb_per_month * price('nat_gateway_gb', region)
        - billed_usd('interface_endpoint_gb', region, gb_per_month, region_gb_per_month) END
        AS monthly_usd,
    format_bytes(bytes) || ' to ' || service || ' in ' || COALESCE(region, 'the region') || ' went through '
        || path || ' in ' || CAST(round(window_hours, 2) AS VARCHAR) || ' h although '
        || COALESCE(vpc_id, 'the VPC') || ' has interface endpoint ' || endpoint_id
        || ' for it (PrivateDnsEnabled: ' || CASE WHEN private_dns THEN 'true' ELSE 'false' END
        || ')' || CASE WHEN through_nat THEN '; the NAT gateway charged '
            || usd(gb_per_month * price('nat_gateway_gb', region)) || '/month to process it'
            ELSE '' END AS evidence,
    CASE WHEN private_dns
        THEN 'Find the clients that still resolve ' || service || '''s public addresses (a resolver '
            || 'of their own, a hard-coded regional URL, another VPC''s DNS) and let them use '
            || 'the VPC''s resolver, which answers with ' || endpoint_id || '.'
        ELSE 'Turn on private DNS for ' || endpoint_id || ' (aws ec2 modify-vpc-endpoint '
            || '--vpc-endpoint-id ' || endpoint_id || ' --private-dns-enabled) so that the '
            || 'service''s public name resolves to the endpoint inside the VPC.'
    END AS action
FROM costed
ORDER BY monthly_usd DESC NULLS LAST, resource, evidence
