-- coverage: what the logs saw of each ENI: records by log status, SKIPDATA hours, and the ENIs
-- of the inventory that logged nothing.
--
-- Reads: flows_classified, enis.
-- One row per ENI that is in the logs or in the inventory. skipdata_hours add up the capture
-- windows of SKIPDATA records (traffic in them was not logged). An inventory ENI with no record
-- at all has no flow log, or was idle through every aggregation interval of the window; an ENI
-- in the logs but not in the inventory is missing from describe-network-interfaces.
-- Columns: eni_id, vpc_id, region, role, in_inventory, records, ok_records, nodata_records,
-- skipdata_records, skipdata_hours, first_start, last_end.
WITH seen AS (
    SELECT
        interface_id,
        min(vpc_id) AS vpc_id,
        count(*) AS records,
        count(*) FILTER (WHERE COALESCE(log_status, 'OK') = 'OK') AS ok_records,
        count(*) FILTER (WHERE log_status = 'NODATA') AS nodata_records,
        count(*) FILTER (WHERE log_status = 'SKIPDATA') AS skipdata_records,
        COALESCE(
            sum(to_unixtime("end") - to_unixtime(start)) FILTER (WHERE log_status = 'SKIPDATA'),
            0
        ) / 3600.0 AS skipdata_hours,
        min(start) AS first_start,
        max("end") AS last_end
    FROM flows_classified
    GROUP BY interface_id
)
SELECT
    COALESCE(e.eni_id, s.interface_id) AS eni_id,
    COALESCE(e.vpc_id, s.vpc_id) AS vpc_id,
    e.region,
    e.role,
    e.eni_id IS NOT NULL AS in_inventory,
    COALESCE(s.records, 0) AS records,
    COALESCE(s.ok_records, 0) AS ok_records,
    COALESCE(s.nodata_records, 0) AS nodata_records,
    COALESCE(s.skipdata_records, 0) AS skipdata_records,
    round(COALESCE(s.skipdata_hours, 0), 3) AS skipdata_hours,
    s.first_start,
    s.last_end
FROM enis e
FULL JOIN seen s ON s.interface_id = e.eni_id
ORDER BY eni_id
