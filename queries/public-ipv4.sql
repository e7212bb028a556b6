-- public-ipv4: every public IPv4 address of the inventory, and what its ENI sent and received
-- from the internet.
--
-- Reads: flows_classified, eni_addresses, enis, elastic_ips.
-- An address is an elastic IP (describe-addresses, associated or not) or a public address of an
-- ENI: assigned by AWS (its owner is amazon), else an elastic IP. For its ENI:
-- the records of every log status, their span (first_start, last_end) and internet_bytes, the
-- bytes exchanged with public peers: internet_gateway records, and on a NAT gateway's own ENI
-- its records with a peer outside the VPC.
-- Columns: public_ip, elastic, allocation_id, associated, eni_id, eni_type, eni_resource,
-- vpc_id, region, records, first_start, last_end, internet_bytes.
WITH per_eni AS (
    SELECT
        interface_id,
        count(*) AS records,
        min(start) AS first_start,
        max("end") AS last_end,
        COALESCE(sum(bytes) FILTER (
            WHERE traffic_class = 'internet_gateway'
                OR (class_reason = 'nat-gateway-eni' AND NOT COALESCE(peer_in_vpc, false))
        ), 0) AS internet_bytes
    FROM flows_classified
    GROUP BY interface_id
),
on_enis AS (
    SELECT
        public_ip,
        min(eni_id) AS eni_id,
        bool_or(COALESCE(public_ip_owner <> 'amazon', false)) AS elastic
    FROM eni_addresses
    WHERE public_ip IS NOT NULL
    GROUP BY public_ip
),
addresses AS (
    SELECT
        COALESCE(x.public_ip, o.public_ip) AS public_ip,
        x.public_ip IS NOT NULL OR COALESCE(o.elastic, false) AS elastic,
        x.allocation_id,
        x.association_id IS NOT NULL OR x.eni_id IS NOT NULL OR o.eni_id IS NOT NULL
            AS associated,
        COALESCE(x.eni_id, o.eni_id) AS eni_id,
        x.region AS elastic_region
    FROM elastic_ips x
    FULL JOIN on_enis o ON o.public_ip = x.public_ip
)
SELECT
    a.public_ip,
    a.elastic,
    a.allocation_id,
    a.associated,
    a.eni_id,
    e.resource_type AS eni_type,
    e.resource_id AS eni_resource,
    e.vpc_id,
    COALESCE(e.region, a.elastic_region) AS region,
    COALESCE(p.records, 0) AS records,
    p.first_start,
    p.last_end,
    COALESCE(p.internet_bytes, 0) AS internet_bytes
FROM addresses a
LEFT JOIN enis e ON e.eni_id = a.eni_id
LEFT JOIN per_eni p ON p.interface_id = a.eni_id
WHERE a.public_ip IS NOT NULL
ORDER BY public_ip
