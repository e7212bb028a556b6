-- nat-aws-services: S3 and DynamoDB traffic through NAT gateways, which a gateway endpoint
-- would carry for free.
--
-- Reads: flows_classified, nat_gateways; ip-ranges.json through in_aws_service.
-- Counted NAT records whose peer lies in an S3 or DYNAMODB range (AMAZON ranges that overlap
-- don't count). egress_bytes were sent by the NAT toward the service; same_region_bytes are
-- those to the service in the NAT gateway's own region, the part a gateway endpoint would take
-- off the NAT (gateway endpoints serve their own region only).
-- Columns: nat_gateway_id, vpc_id, region, service, records, bytes, egress_bytes,
-- same_region_bytes.
WITH nat AS (
    SELECT
        c.nat_gateway_id,
        c.vpc_id,
        n.region,
        c.direction,
        c.bytes,
        c.peer,
        CASE
            WHEN in_aws_service(c.peer, 'S3') THEN 'S3'
            WHEN in_aws_service(c.peer, 'DYNAMODB') THEN 'DYNAMODB'
        END AS service
    FROM flows_classified c
    LEFT JOIN nat_gateways n ON n.nat_gateway_id = c.nat_gateway_id
    WHERE c.traffic_class = 'nat_gateway' AND c.counted AND c.aws_service IS NOT NULL
)
SELECT
    nat_gateway_id,
    min(vpc_id) AS vpc_id,
    region,
    service,
    count(*) AS records,
    COALESCE(sum(bytes), 0) AS bytes,
    COALESCE(sum(bytes) FILTER (WHERE direction = 'egress'), 0) AS egress_bytes,
    COALESCE(sum(bytes) FILTER (WHERE in_aws_service(peer, service, region)), 0) AS same_region_bytes
FROM nat
WHERE service IS NOT NULL
GROUP BY nat_gateway_id, region, service
ORDER BY bytes DESC, nat_gateway_id, service
