-- nat-aws-services: AWS services other than S3 and DynamoDB reached through NAT gateways,
-- where an interface endpoint would cost less than the NAT's processing fee.
--
-- Findings: nat-aws-services.
-- Reads: report_nat_aws_services, report_endpoint_bytes, enis, audit_basis;
-- prices through price() and billed_usd().
-- Per VPC and service (one endpoint would serve all its NAT gateways), the same-region bytes
-- scaled to a month. An interface endpoint costs its hourly fee in each AZ where the VPC has
-- ENIs, plus its own per-GB fee; the break-even is the monthly volume where that equals the
-- NAT's per-GB fee (in the tier the region's interface endpoints already reach). monthly_usd
-- is the saving (negative below the break-even). Ranges that name no specific service (AMAZON)
-- can't be matched to an endpoint and are left out.
WITH per_vpc AS (
    SELECT
        vpc_id,
        region,
        service,
        array_to_string(array_sort(array_agg(DISTINCT nat_gateway_id)), ', ') AS nat_gateways,
        sum(same_region_bytes) AS bytes
    FROM report_nat_aws_services
    WHERE service NOT IN ('S3', 'DYNAMODB', 'AMAZON') AND same_region_bytes > 0
    GROUP BY vpc_id, region, service
),
region_volume AS (
    SELECT region, sum(bytes) AS bytes
    FROM report_endpoint_bytes
    WHERE endpoint_type = 'interface'
    GROUP BY region
),
zones AS (
    SELECT vpc_id, count(DISTINCT availability_zone) AS azs
    FROM enis
    GROUP BY vpc_id
),
costed AS (
    SELECT
        p.*,
        greatest(COALESCE(z.azs, 1), 1) AS azs,
        p.bytes / b.bytes_per_gb * b.scale AS gb_per_month,
        price('nat_gateway_gb', p.region) AS nat_gb,
        billed_usd('interface_endpoint_gb', p.region, 1.0,
            COALESCE(v.bytes, 0) / b.bytes_per_gb * b.scale) AS endpoint_gb,
        greatest(COALESCE(z.azs, 1), 1) * price('interface_endpoint_hour', p.region)
            * b.month_hours AS endpoint_hourly
    FROM per_vpc p
    LEFT JOIN zones z ON z.vpc_id = p.vpc_id
    LEFT JOIN region_volume v ON v.region IS NOT DISTINCT FROM p.region
    CROSS JOIN audit_basis b
)
SELECT
    'nat-aws-services' AS finding,
    vpc_id AS resource,
    vpc_id,
    region,
    CAST(bytes AS BIGINT) AS bytes,
    gb_per_month * nat_gb - (endpoint_hourly + gb_per_month * endpoint_gb) AS monthly_usd,
    service || ': ' || CAST(round(gb_per_month, 3) AS VARCHAR) || ' GB/month through '
        || nat_gateways || ' cost ' || usd(gb_per_month * nat_gb)
        || '/month in NAT processing; an interface endpoint in ' || CAST(azs AS VARCHAR)
        || ' AZ(s) would cost ' || usd(endpoint_hourly + gb_per_month * endpoint_gb)
        || '/month; break-even at '
        || CASE WHEN nat_gb > endpoint_gb
            THEN CAST(round(endpoint_hourly / (nat_gb - endpoint_gb), 1) AS VARCHAR) || ' GB/month'
            ELSE 'no volume (the endpoint costs more per GB)' END AS evidence,
    'Create an interface endpoint for ' || service || ' in ' || COALESCE(vpc_id, 'the VPC')
        || ' with private DNS, in the AZs of its clients.' AS action
FROM costed
ORDER BY monthly_usd DESC, resource, evidence
