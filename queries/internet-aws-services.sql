-- internet-aws-services: the AWS services reached through internet gateways, by VPC.
--
-- Reads: flows_classified, enis; ip-ranges.json through aws_service (in the view) and
-- in_aws_service.
-- Counted internet_gateway records whose peer lies in an ip-ranges prefix, by the most specific
-- service (AMAZON only when no specific service's range holds the peer). same_region_bytes are
-- those to the service in the ENI's own region, the part a VPC endpoint could carry.
-- Columns: vpc_id, region, service, records, bytes, same_region_bytes.
-- The records are summed per peer first, so in_aws_service runs once per peer, not per record.
WITH per_peer AS (
    SELECT
        c.vpc_id,
        e.region,
        c.aws_service AS service,
        c.peer,
        count(*) AS records,
        sum(c.bytes) AS bytes
    FROM flows_classified c
    LEFT JOIN enis e ON e.eni_id = c.interface_id
    WHERE c.traffic_class = 'internet_gateway' AND c.counted AND c.aws_service IS NOT NULL
    GROUP BY c.vpc_id, e.region, c.aws_service, c.peer
)
SELECT
    vpc_id,
    region,
    service,
    sum(records) AS records,
    COALESCE(sum(bytes), 0) AS bytes,
    COALESCE(sum(bytes) FILTER (WHERE in_aws_service(peer, service, region)), 0) AS same_region_bytes
FROM per_peer
GROUP BY vpc_id, region, service
ORDER BY bytes DESC, vpc_id, service
