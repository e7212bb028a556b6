//! `peer_facts`: everything the classification asks about a record's addresses, from one
//! parse of each address. It answers what `eni_has_ip`, `vpc_contains`, `vpc_eni`,
//! `vpc_endpoint_at`, `route_target`, `aws_service`, `ip_family`, `is_public_ip` and
//! `in_aws_service` would for the record's peer, as one struct, so a query that needs them all
//! pays for one parse and one pass instead of a dozen.

use std::hash::{Hash, Hasher};
use std::net::IpAddr;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanBuilder, StringBuilder, StructArray};
use arrow::datatypes::{DataType, Field, Fields};
use datafusion::error::Result;
use datafusion::logical_expr::{
    ColumnarValue, ScalarFunctionArgs, ScalarUDF, ScalarUDFImpl, Signature,
};

use super::args::{Strings, same_source, strings_signature};
use crate::inventory::lookup::{Lookup, Map};
use crate::net::{is_public, parse_ip};

/// The services a gateway endpoint can serve, as ip-ranges.json names them.
const GATEWAY_SERVICES: [&str; 2] = ["S3", "DYNAMODB"];

/// The struct's fields, in order: (name, is it text).
const FIELDS: [(&str, bool); 11] = [
    ("src_own", false),
    ("dst_own", false),
    ("peer", true),
    ("peer_in_vpc", false),
    ("peer_eni_id", true),
    ("peer_endpoint_id", true),
    ("route_target", true),
    ("aws_service", true),
    ("peer_family", true),
    ("peer_public", false),
    ("gateway_service", true),
];

/// The function over one loaded inventory (`None`: none loaded, every fact is NULL).
#[derive(Debug)]
struct PeerFacts {
    lookup: Option<Arc<Lookup>>,
    signature: Signature,
}

impl PartialEq for PeerFacts {
    fn eq(&self, other: &Self) -> bool {
        same_source(&self.lookup, &other.lookup)
    }
}

impl Eq for PeerFacts {}

impl Hash for PeerFacts {
    fn hash<H: Hasher>(&self, state: &mut H) {
        self.lookup.is_some().hash(state);
    }
}

/// `peer_facts` over `lookup`, ready to register.
pub(super) fn function(lookup: Option<Arc<Lookup>>) -> ScalarUDF {
    ScalarUDF::new_from_impl(PeerFacts {
        lookup,
        signature: strings_signature(6),
    })
}

fn fields() -> Fields {
    FIELDS
        .iter()
        .map(|(name, text)| {
            let t = if *text {
                DataType::Utf8
            } else {
                DataType::Boolean
            };
            Field::new(*name, t, true)
        })
        .collect()
}

/// The VPC, route table and region a peer is looked up in.
type Key<'a> = (Option<&'a str>, Option<&'a str>, Option<&'a str>);

/// Where a peer lies, seen from one VPC and route table.
#[derive(Clone, Copy, Default)]
struct Place<'a> {
    in_vpc: Option<bool>,
    eni: Option<&'a str>,
    endpoint: Option<&'a str>,
    route_target: Option<&'a str>,
    service: Option<&'a str>,
    gateway_service: Option<&'static str>,
}

impl<'a> Place<'a> {
    fn of(lookup: &'a Lookup, (vpc, table, region): Key<'_>, ip: IpAddr) -> Place<'a> {
        let in_vpc = vpc.map(|v| lookup.vpc_contains(v, ip));
        let holder = vpc.and_then(|v| lookup.vpc_holder(v, ip));
        let services = lookup.services();
        let service = services.and_then(|s| s.lookup(ip)).map(|(s, _)| s);
        // Only an IPv4 address in some range, outside the VPC, can be a gateway service's.
        let candidate = service.is_some() && in_vpc != Some(true) && ip.is_ipv4();
        Place {
            in_vpc,
            eni: holder.map(|(e, _)| e),
            endpoint: holder.and_then(|(_, endpoint)| endpoint),
            route_target: table.and_then(|t| lookup.route_target(t, ip)),
            service,
            gateway_service: services
                .filter(|_| candidate)
                .and_then(|s| s.first_service_of(ip, &GATEWAY_SERVICES, region)),
        }
    }
}

/// The builders of one result, field by field.
struct Builders {
    src_own: BooleanBuilder,
    dst_own: BooleanBuilder,
    peer: StringBuilder,
    peer_in_vpc: BooleanBuilder,
    peer_eni_id: StringBuilder,
    peer_endpoint_id: StringBuilder,
    route_target: StringBuilder,
    aws_service: StringBuilder,
    peer_family: StringBuilder,
    peer_public: BooleanBuilder,
    gateway_service: StringBuilder,
}

impl Builders {
    fn new(rows: usize) -> Builders {
        let text = || StringBuilder::with_capacity(rows, rows * 8);
        let flag = || BooleanBuilder::with_capacity(rows);
        Builders {
            src_own: flag(),
            dst_own: flag(),
            peer: StringBuilder::with_capacity(rows, rows * 12),
            peer_in_vpc: flag(),
            peer_eni_id: text(),
            peer_endpoint_id: text(),
            route_target: text(),
            aws_service: text(),
            peer_family: text(),
            peer_public: flag(),
            gateway_service: text(),
        }
    }

    fn finish(mut self) -> Vec<ArrayRef> {
        vec![
            Arc::new(self.src_own.finish()),
            Arc::new(self.dst_own.finish()),
            Arc::new(self.peer.finish()),
            Arc::new(self.peer_in_vpc.finish()),
            Arc::new(self.peer_eni_id.finish()),
            Arc::new(self.peer_endpoint_id.finish()),
            Arc::new(self.route_target.finish()),
            Arc::new(self.aws_service.finish()),
            Arc::new(self.peer_family.finish()),
            Arc::new(self.peer_public.finish()),
            Arc::new(self.gateway_service.finish()),
        ]
    }
}

impl ScalarUDFImpl for PeerFacts {
    fn name(&self) -> &str {
        "peer_facts"
    }

    fn signature(&self) -> &Signature {
        &self.signature
    }

    fn return_type(&self, _args: &[DataType]) -> Result<DataType> {
        Ok(DataType::Struct(fields()))
    }

    fn invoke_with_args(&self, call: ScalarFunctionArgs) -> Result<ColumnarValue> {
        let name = self.name();
        let rows = call.number_rows;
        let arg = |i| Strings::arg(name, &call.args, i);
        let (eni, src, dst) = (arg(0)?, arg(1)?, arg(2)?);
        let (vpc, table, region) = (arg(3)?, arg(4)?, arg(5)?);
        let lookup = self.lookup.as_deref();
        // Records of one batch share few peers: each (VPC, route table, region, peer) is
        // looked up once.
        let mut places: Map<(Key, IpAddr), Place> = Map::default();
        let mut out = Builders::new(rows);
        for row in 0..rows {
            let eni = eni.get(row);
            let (src_text, dst_text) = (src.get(row), dst.get(row));
            let own = lookup.zip(eni).map(|(l, e)| l.eni_addresses(e));
            let owns = |text: Option<&str>| {
                let (own, ip) = (own?, text.and_then(parse_ip)?);
                Some((own.contains(&ip), ip))
            };
            let (src_own, dst_own) = (owns(src_text), owns(dst_text));
            out.src_own.append_option(src_own.map(|(own, _)| own));
            out.dst_own.append_option(dst_own.map(|(own, _)| own));
            // The peer is the other end of the ENI's own address, as text and as an address.
            let (peer_text, peer) = match (src_own, dst_own) {
                (Some((true, _)), _) => (dst_text, dst_own.map(|(_, ip)| ip)),
                (_, Some((true, _))) => (src_text, src_own.map(|(_, ip)| ip)),
                _ => (None, None),
            };
            out.peer.append_option(peer_text);
            let key = (vpc.get(row), table.get(row), region.get(row));
            let place = match (lookup, peer) {
                (Some(lookup), Some(ip)) => *places
                    .entry((key, ip))
                    .or_insert_with(|| Place::of(lookup, key, ip)),
                _ => Place::default(),
            };
            out.peer_in_vpc.append_option(place.in_vpc);
            out.peer_eni_id.append_option(place.eni);
            out.peer_endpoint_id.append_option(place.endpoint);
            out.route_target.append_option(place.route_target);
            out.aws_service.append_option(place.service);
            out.peer_family
                .append_option(peer.map(|ip| if ip.is_ipv4() { "ipv4" } else { "ipv6" }));
            out.peer_public.append_option(peer.map(is_public));
            out.gateway_service.append_option(place.gateway_service);
        }
        let array = StructArray::try_new(fields(), out.finish(), None)?;
        Ok(ColumnarValue::Array(Arc::new(array)))
    }
}

#[cfg(test)]
mod tests {
    use std::path::Path;

    use arrow::array::{Array, AsArray};
    use arrow::datatypes::Int64Type;
    use datafusion::datasource::MemTable;
    use datafusion::prelude::SessionContext;

    use crate::inventory::Inventory;
    use crate::inventory::lookup::Lookup;
    use crate::sql::udf::test_sql::collect;

    /// Every field of `peer_facts` equals what the single-purpose function gives for the same
    /// record, over every ENI of the sample inventory against its addresses, AWS ranges, a
    /// public address and text that is no address, in both directions.
    #[tokio::test]
    async fn agrees_with_the_single_functions() {
        let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("sample-logs/inventory");
        let inventory = Inventory::load(&dir, None).expect("sample inventory loads");
        let index = inventory.ip_ranges().map(|r| r.index());
        let lookup = std::sync::Arc::new(Lookup::new(&inventory, index.clone()));
        let ctx = SessionContext::new();
        crate::sql::udf::register_all(&ctx, index.as_ref(), Some(lookup));
        for (name, batch) in inventory.tables() {
            let table = MemTable::try_new(batch.schema(), vec![vec![batch]]).expect("table");
            ctx.register_table(name, std::sync::Arc::new(table))
                .expect("registers");
        }
        let sql = "
            WITH addrs AS (
                SELECT DISTINCT address AS a FROM eni_addresses
                UNION SELECT split_part(prefix, '/', 1) FROM aws_ip_ranges
                UNION SELECT '8.8.8.8' UNION SELECT 'not an address' UNION SELECT NULL
            ),
            pairs AS (
                SELECT e.eni_id, s.route_table_id AS rt, e.vpc_id, e.region, a.address AS own, p.a AS other
                FROM enis e
                LEFT JOIN subnets s ON s.subnet_id = e.subnet_id
                JOIN eni_addresses a ON a.eni_id = e.eni_id
                CROSS JOIN addrs p
            ),
            records AS (
                SELECT eni_id, rt, vpc_id, region, own AS src, other AS dst FROM pairs
                UNION ALL SELECT eni_id, rt, vpc_id, region, other, own FROM pairs
            ),
            expected AS (
                SELECT *,
                    peer_facts(eni_id, src, dst, vpc_id, rt, region) AS f,
                    CASE WHEN eni_has_ip(eni_id, src) THEN dst
                         WHEN eni_has_ip(eni_id, dst) THEN src END AS peer
                FROM records
            )
            SELECT
                count(*) FILTER (WHERE
                    (f['src_own'] IS DISTINCT FROM eni_has_ip(eni_id, src))
                    OR (f['dst_own'] IS DISTINCT FROM eni_has_ip(eni_id, dst))
                    OR (f['peer'] IS DISTINCT FROM peer)
                    OR (f['peer_in_vpc'] IS DISTINCT FROM vpc_contains(vpc_id, peer))
                    OR (f['peer_eni_id'] IS DISTINCT FROM vpc_eni(vpc_id, peer))
                    OR (f['peer_endpoint_id'] IS DISTINCT FROM vpc_endpoint_at(vpc_id, peer))
                    OR (f['route_target'] IS DISTINCT FROM route_target(rt, peer))
                    OR (f['aws_service'] IS DISTINCT FROM aws_service(peer))
                    OR (f['peer_family'] IS DISTINCT FROM ip_family(peer))
                    OR (f['peer_public'] IS DISTINCT FROM is_public_ip(peer))
                    OR (f['gateway_service'] IS DISTINCT FROM
                        CASE WHEN ip_family(peer) = 'ipv4'
                                  AND NOT COALESCE(vpc_contains(vpc_id, peer), false) THEN
                            CASE WHEN in_aws_service(peer, 'S3', region) THEN 'S3'
                                 WHEN in_aws_service(peer, 'DYNAMODB', region) THEN 'DYNAMODB'
                            END
                        END)
                ) AS differ,
                count(f['peer']), count(f['peer_eni_id']), count(f['peer_endpoint_id']),
                count(f['route_target']), count(f['aws_service']), count(f['gateway_service']),
                count(*) FILTER (WHERE f['peer_in_vpc']), count(*) FILTER (WHERE f['peer_public'])
            FROM expected";
        let batches = collect(&ctx, sql).await;
        let row: Vec<i64> = batches[0]
            .columns()
            .iter()
            .map(|c| c.as_primitive::<Int64Type>().value(0))
            .collect();
        assert_eq!(row[0], 0, "fields that differ from the single functions");
        // Every field is exercised: each is non-null (or true) somewhere.
        assert!(row[1..].iter().all(|n| *n > 0), "{row:?}");
        assert!(batches[0].column(0).is_valid(0));
    }
}
