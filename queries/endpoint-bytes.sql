-- endpoint-bytes: the bytes each VPC endpoint carried in the window.
--
-- Reads: flows_classified, vpc_endpoints.
-- An interface endpoint's bytes are those of the OK records on its own ENIs, both directions
-- (what the per-GB fee bills); a gateway endpoint's are those of the gateway_endpoint records
-- of its VPC whose peer is its service. Endpoints seen in the logs but missing from
-- describe-vpc-endpoints are listed too, with what is known. in_vpc_bytes are the bytes whose
-- peer lies in the endpoint's VPC (clients inside it rather than on premises or peered).
-- Columns: endpoint_id, endpoint_type, service, vpc_id, region, az_count, records, bytes,
-- in_vpc_bytes.
WITH used AS (
    SELECT
        endpoint_id,
        min(traffic_class) AS traffic_class,
        min(vpc_id) AS vpc_id,
        count(*) AS records,
        COALESCE(sum(bytes), 0) AS bytes,
        COALESCE(sum(bytes) FILTER (WHERE peer_in_vpc), 0) AS in_vpc_bytes
    FROM flows_classified
    WHERE counted AND traffic_class IN ('interface_endpoint', 'gateway_endpoint')
    GROUP BY endpoint_id
)
SELECT
    COALESCE(e.endpoint_id, u.endpoint_id) AS endpoint_id,
    COALESCE(e.endpoint_type, replace(u.traffic_class, '_endpoint', '')) AS endpoint_type,
    e.service,
    COALESCE(e.vpc_id, u.vpc_id) AS vpc_id,
    e.region,
    e.az_count,
    COALESCE(u.records, 0) AS records,
    COALESCE(u.bytes, 0) AS bytes,
    COALESCE(u.in_vpc_bytes, 0) AS in_vpc_bytes
FROM vpc_endpoints e
FULL JOIN used u ON u.endpoint_id = e.endpoint_id
ORDER BY bytes DESC, endpoint_id
