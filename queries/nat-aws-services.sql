-- nat-aws-services: the AWS services reached through NAT gateways: S3 and DynamoDB, which a
-- gateway endpoint would carry for free, and the rest, which an interface endpoint could carry.
--
-- Reads: flows_classified, nat_gateways; ip-ranges.json through aws_service (in the view) and
-- in_aws_service.
-- Counted NAT records whose peer lies in an ip-ranges prefix, by the most specific service
-- (AMAZON only when no specific service's range holds the peer). egress_bytes were sent by the
-- NAT toward the service; same_region_bytes are those to the service in the NAT gateway's own
-- region, the part a VPC endpoint would take off the NAT (endpoints serve their own region).
-- Columns: nat_gateway_id, vpc_id, region, service, records, bytes, egress_bytes,
-- same_region_bytes.
-- The records are summed per peer first, so in_aws_service runs once per peer, not per record.
WITH per_peer AS (
    SELECT
        c.nat_gateway_id,
        n.region,
        c.aws_service AS service,
        c.peer,
        min(c.vpc_id) AS vpc_id,
        count(*) AS records,
        sum(c.bytes) AS bytes,
        sum(c.bytes) FILTER (WHERE c.direction = 'egress') AS egress_bytes
    FROM flows_classified c
    LEFT JOIN nat_gateways n ON n.nat_gateway_id = c.nat_gateway_id
    WHERE c.traffic_class = 'nat_gateway' AND c.counted AND c.aws_service IS NOT NULL
    GROUP BY c.nat_gateway_id, n.region, c.aws_service, c.peer
)
SELECT
    nat_gateway_id,
    min(vpc_id) AS vpc_id,
    region,
    service,
    sum(records) AS records,
    COALESCE(sum(bytes), 0) AS bytes,
    COALESCE(sum(egress_bytes), 0) AS egress_bytes,
    COALESCE(sum(bytes) FILTER (WHERE in_aws_service(peer, service, region)), 0) AS same_region_bytes
FROM per_peer
GROUP BY nat_gateway_id, region, service
ORDER BY bytes DESC, nat_gateway_id, service
