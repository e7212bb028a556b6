-- cross-az: bytes sent between ENIs of one region in different availability zones, each byte
-- once, by the pair of resources.
--
-- Reads: flows_classified, enis, eni_addresses, subnets.
-- The intra_vpc and peering records seen where they were sent (direction egress). The receiver
-- is the ENI of the same VPC holding the peer address (intra_vpc), or the one ENI of the
-- inventory holding it in another VPC (peering; an address two ENIs share is left out); a peer
-- that is no ENI of the inventory counts by the subnet of the VPC that holds it. Zones are
-- compared by zone id when both sides have one, else by name. A lower bound: an ENI that does
-- not log is not seen sending. Traffic through an interface endpoint, a NAT gateway or a transit
-- gateway is not here (PrivateLink and Transit Gateway bill no cross-AZ transfer; the NAT case
-- is the nat-cross-az finding). billed is false where AWS does not bill the transfer: an
-- application load balancer on either side (its cross-zone traffic to targets is free).
-- Columns: region, src_vpc_id, src_type, src_resource, src_az, dst_vpc_id, dst_type,
-- dst_resource, dst_az, billed, records, bytes.
WITH sent AS (
    SELECT
        interface_id,
        traffic_class,
        peer,
        peer_eni_id,
        count(*) AS records,
        COALESCE(sum(bytes), 0) AS bytes
    FROM flows_classified
    WHERE traffic_class IN ('intra_vpc', 'peering') AND direction = 'egress'
    GROUP BY interface_id, traffic_class, peer, peer_eni_id
),
sole_holder AS (
    SELECT address, min(eni_id) AS eni_id
    FROM eni_addresses
    GROUP BY address
    HAVING count(DISTINCT eni_id) = 1
),
receivers AS (
    SELECT
        s.*,
        own.vpc_id AS src_vpc_id,
        own.region,
        own.resource_type AS src_type,
        own.resource_id AS src_resource,
        own.availability_zone AS src_az,
        own.az_id AS src_az_id,
        own.description AS src_description,
        CASE WHEN s.traffic_class = 'intra_vpc' THEN s.peer_eni_id
            WHEN held.vpc_id IS DISTINCT FROM own.vpc_id THEN h.eni_id END AS dst_eni_id
    FROM sent s
    JOIN enis own ON own.eni_id = s.interface_id
    LEFT JOIN sole_holder h ON h.address = s.peer
    LEFT JOIN enis held ON held.eni_id = h.eni_id
),
by_eni AS (
    SELECT
        r.*,
        dst.vpc_id AS dst_vpc_id,
        dst.resource_type AS dst_type,
        dst.resource_id AS dst_resource,
        dst.availability_zone AS dst_az,
        dst.az_id AS dst_az_id,
        dst.description AS dst_description
    FROM receivers r
    JOIN enis dst ON dst.eni_id = r.dst_eni_id
),
by_subnet AS (
    SELECT
        r.*,
        sn.vpc_id AS dst_vpc_id,
        'subnet' AS dst_type,
        sn.subnet_id AS dst_resource,
        sn.availability_zone AS dst_az,
        sn.az_id AS dst_az_id,
        CAST(NULL AS VARCHAR) AS dst_description
    FROM receivers r
    JOIN subnets sn ON sn.vpc_id = r.src_vpc_id AND ip_in_cidr(r.peer, sn.cidr_block)
    WHERE r.dst_eni_id IS NULL AND r.traffic_class = 'intra_vpc'
),
paired AS (
    SELECT * FROM by_eni
    UNION ALL
    SELECT * FROM by_subnet
)
SELECT
    region,
    src_vpc_id,
    src_type,
    src_resource,
    src_az,
    dst_vpc_id,
    dst_type,
    dst_resource,
    dst_az,
    NOT (COALESCE(src_description LIKE 'ELB app/%', false)
        OR COALESCE(dst_description LIKE 'ELB app/%', false)) AS billed,
    sum(records) AS records,
    sum(bytes) AS bytes
FROM paired
WHERE CASE WHEN src_az_id IS NOT NULL AND dst_az_id IS NOT NULL THEN src_az_id <> dst_az_id
    ELSE src_az <> dst_az END
GROUP BY region, src_vpc_id, src_type, src_resource, src_az, dst_vpc_id, dst_type, dst_resource,
    dst_az, billed
ORDER BY bytes DESC, src_resource, dst_resource, src_az, dst_az
