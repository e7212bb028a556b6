-- endpoint-bypassed: a VPC has an interface endpoint for a service, yet its clients reach the
-- service's public addresses through a NAT gateway or an internet gateway.
--
-- Findings: endpoint-bypassed.
-- Reads: vpc_endpoints, report_nat_aws_services, report_internet_aws_services, audit_basis;
-- prices through price().
-- Only services whose own addresses ip-ranges.json names can be told apart in the logs: S3 and
-- DynamoDB (vpc_endpoints.ip_ranges_service); the others are AMAZON there, and ip-ranges.json's
-- EC2 and API_GATEWAY ranges are instances' and API Gateway's outbound addresses, not the
-- services' endpoints. Only bytes to the service in the VPC's own region count. No dollar
-- figure: through a NAT gateway the evidence gives the processing the NAT charges, whose saving
-- the nat-s3 and nat-dynamodb findings already count (a gateway endpoint carries it for
-- nothing); through an internet gateway the traffic costs no fee, but leaves the VPC although
-- a private path was paid for.
WITH endpoints AS (
    SELECT
        vpc_id,
        ip_ranges_service AS service,
        min(endpoint_id) AS endpoint_id,
        bool_and(COALESCE(private_dns_enabled, false)) AS private_dns
    FROM vpc_endpoints
    WHERE endpoint_type = 'interface' AND ip_ranges_service IS NOT NULL
        AND COALESCE(state, 'available') = 'available'
    GROUP BY vpc_id, ip_ranges_service
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
    WHERE same_region_bytes > 0
    GROUP BY vpc_id, region, service
    UNION ALL
    SELECT vpc_id, region, service, 'an internet gateway', false, same_region_bytes
    FROM report_internet_aws_services
    WHERE same_region_bytes > 0
)
SELECT
    'endpoint-bypassed' AS finding,
    e.endpoint_id AS resource,
    x.vpc_id,
    x.region,
    CAST(x.bytes AS BIGINT) AS bytes,
    CAST(NULL AS DOUBLE) AS monthly_usd,
    format_bytes(x.bytes) || ' to ' || x.service || ' in ' || COALESCE(x.region, 'the region')
        || ' went through ' || x.path || ' in ' || CAST(round(b.window_hours, 2) AS VARCHAR)
        || ' h although ' || COALESCE(x.vpc_id, 'the VPC') || ' has interface endpoint '
        || e.endpoint_id || ' for it (PrivateDnsEnabled: '
        || CASE WHEN e.private_dns THEN 'true' ELSE 'false' END || ')'
        || CASE WHEN x.through_nat THEN '; the NAT gateway charges '
            || usd(x.bytes / b.bytes_per_gb * b.scale * price('nat_gateway_gb', x.region))
            || '/month to process it (see nat-' || lower(x.service) || ')'
            ELSE '; it leaves the VPC' END AS evidence,
    CASE WHEN e.private_dns
        THEN 'Find the clients that still resolve ' || x.service || '''s public addresses (a '
            || 'resolver of their own, a hard-coded regional URL, another VPC''s DNS) and let '
            || 'them use the VPC''s resolver, which answers with ' || e.endpoint_id
        ELSE 'Turn on private DNS for ' || e.endpoint_id || ' (aws ec2 modify-vpc-endpoint '
            || '--vpc-endpoint-id ' || e.endpoint_id || ' --private-dns-enabled) so that the '
            || 'service''s public name resolves to the endpoint inside the VPC'
    END || '; or, for clients inside the VPC, a gateway endpoint for ' || x.service
        || ', which costs nothing.' AS action
FROM bypass x
JOIN endpoints e ON e.vpc_id = x.vpc_id AND e.service = x.service
CROSS JOIN audit_basis b
ORDER BY resource, bytes DESC, evidence
