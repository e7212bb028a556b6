//! vpcflow's SQL functions: their registration on a session and the one list of their
//! documentation.
//!
//! The functions of addresses, CIDRs, AWS service ranges and the inventory are immutable, take
//! text of any string type (a column or a constant), handle IPv4 and IPv6, and return NULL for
//! NULL or for text that is not an address (or CIDR) rather than failing. The address functions
//! live in `ip.rs`, the ip-ranges.json ones in `aws.rs`, the inventory ones in `estate.rs` and
//! `facts.rs`, the audit's figures (prices, amounts, byte counts) in `figures.rs`, and what they
//! share in `args.rs`. A function may have other names (`human_bytes` is `format_bytes`); the
//! documentation lists it under its own.

mod args;
mod aws;
mod estate;
mod facts;
mod figures;
mod ip;

use std::sync::Arc;

use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};

use datafusion::logical_expr::ScalarUDF;
use datafusion::prelude::SessionContext;

use crate::inventory::ip_ranges::ServiceIndex;
use crate::inventory::lookup::Lookup;

pub use figures::{PriceList, format_usd, human_bytes};

/// The documentation of one SQL function.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FunctionDoc {
    /// The function's name.
    pub name: &'static str,
    /// Its arguments and result type.
    pub signature: &'static str,
    /// What it returns, in one line.
    pub doc: &'static str,
    /// An example call in SQL.
    pub example: &'static str,
}

/// Registers every function on `ctx`. The AWS functions answer from `ranges` (the loaded
/// ip-ranges.json), the inventory functions from `lookup`; without them they still exist and
/// return NULL. So does `price`, which answers from the prices [`with_prices`] gives it.
pub fn register_all(
    ctx: &SessionContext,
    ranges: Option<&ServiceIndex>,
    lookup: Option<Arc<Lookup>>,
) {
    for function in all(ranges, lookup) {
        ctx.register_udf(function);
    }
}

/// Every function [`register_all`] registers, answering from `ranges` and `lookup`.
pub fn all(ranges: Option<&ServiceIndex>, lookup: Option<Arc<Lookup>>) -> Vec<ScalarUDF> {
    let index = ranges.map(|r| Arc::new(r.clone()));
    ip::functions()
        .into_iter()
        .chain(aws::functions(index))
        .chain(estate::functions(lookup.clone()))
        .chain([facts::function(lookup)])
        .chain(figures::functions(None))
        .collect()
}

/// `functions` with `price` answering from `prices`, when given.
pub fn with_prices(
    functions: Vec<ScalarUDF>,
    prices: Option<Arc<dyn PriceList>>,
) -> Vec<ScalarUDF> {
    let Some(prices) = prices else {
        return functions;
    };
    functions
        .into_iter()
        .map(|f| match f.name() {
            figures::PRICE => figures::price(Some(prices.clone())),
            figures::BILLED_USD => figures::billed(Some(prices.clone())),
            _ => f,
        })
        .collect()
}

/// The documentation of every function [`register_all`] registers, in a stable order.
pub fn docs() -> Vec<FunctionDoc> {
    vec![
        FunctionDoc {
            name: "ip_in_cidr",
            signature: "ip_in_cidr(ip TEXT, cidr TEXT) -> BOOLEAN",
            doc: "Whether the address lies in the network (a CIDR, or a bare address for itself); \
                  false across IPv4/IPv6.",
            example: "SELECT count(*) FROM flows WHERE ip_in_cidr(srcaddr, '10.0.0.0/8')",
        },
        FunctionDoc {
            name: "is_private_ip",
            signature: "is_private_ip(ip TEXT) -> BOOLEAN",
            doc: "Whether the address is not public: IPv4 in 0/8, 10/8, 100.64/10, 127/8, \
                  169.254/16, 172.16/12, 192.168/16 or 224/3; IPv6 outside 2000::/3.",
            example: "SELECT dstaddr, sum(bytes) FROM flows WHERE NOT is_private_ip(dstaddr) GROUP BY dstaddr",
        },
        FunctionDoc {
            name: "is_public_ip",
            signature: "is_public_ip(ip TEXT) -> BOOLEAN",
            doc: "Whether the address is public: the negation of is_private_ip.",
            example: "SELECT count(*) FROM flows WHERE is_public_ip(pkt_dstaddr)",
        },
        FunctionDoc {
            name: "ip_family",
            signature: "ip_family(ip TEXT) -> TEXT",
            doc: "'ipv4' or 'ipv6'.",
            example: "SELECT ip_family(srcaddr) AS family, count(*) FROM flows GROUP BY family",
        },
        FunctionDoc {
            name: "aws_service",
            signature: "aws_service(ip TEXT) -> TEXT",
            doc: "The ip-ranges.json service of the address: the most specific non-AMAZON range, \
                  else AMAZON; NULL outside AWS or without loaded ranges.",
            example: "SELECT aws_service(dstaddr) AS service, sum(bytes) FROM flows GROUP BY service",
        },
        FunctionDoc {
            name: "aws_region",
            signature: "aws_region(ip TEXT) -> TEXT",
            doc: "The region of the range aws_service picks (e.g. us-east-1, or GLOBAL).",
            example: "SELECT aws_region(dstaddr) AS peer_region, sum(bytes) FROM flows GROUP BY 1",
        },
        FunctionDoc {
            name: "in_aws_service",
            signature: "in_aws_service(ip TEXT, service TEXT [, region TEXT]) -> BOOLEAN",
            doc: "Whether the address lies in a range of exactly that service (case-insensitive), \
                  in that region; a NULL or missing region means any region.",
            example: "SELECT sum(bytes) FROM flows WHERE in_aws_service(dstaddr, 'S3', 'us-east-1')",
        },
        FunctionDoc {
            name: "eni_has_ip",
            signature: "eni_has_ip(eni_id TEXT, ip TEXT) -> BOOLEAN",
            doc: "Whether the address is one of the ENI's private IPv4 (primary or secondary) or \
                  IPv6 addresses in the inventory; false for an ENI not in it.",
            example: "SELECT count(*) FROM flows WHERE eni_has_ip(interface_id, srcaddr)",
        },
        FunctionDoc {
            name: "vpc_contains",
            signature: "vpc_contains(vpc_id TEXT, ip TEXT) -> BOOLEAN",
            doc: "Whether the address lies in one of the VPC's CIDR blocks (secondary and IPv6 \
                  blocks too); false for a VPC not in the inventory.",
            example: "SELECT count(*) FROM flows WHERE vpc_contains('vpc-0a1b2c3d4e5f60718', dstaddr)",
        },
        FunctionDoc {
            name: "vpc_eni",
            signature: "vpc_eni(vpc_id TEXT, ip TEXT) -> TEXT",
            doc: "The ENI of that VPC holding the private address, from the inventory; NULL if none.",
            example: "SELECT vpc_eni(vpc_id, dstaddr) AS eni, count(*) FROM flows GROUP BY eni",
        },
        FunctionDoc {
            name: "vpc_endpoint_at",
            signature: "vpc_endpoint_at(vpc_id TEXT, ip TEXT) -> TEXT",
            doc: "The interface endpoint (vpce-...) whose ENI in that VPC holds the address; NULL \
                  if no endpoint ENI does.",
            example: "SELECT vpc_endpoint_at(vpc_id, dstaddr) AS endpoint, sum(bytes) FROM flows GROUP BY 1",
        },
        FunctionDoc {
            name: "route_target",
            signature: "route_target(route_table_id TEXT, ip TEXT) -> TEXT",
            doc: "Where the route table sends the address: the target of its most specific route \
                  (local, igw-, nat-, vpce-, tgw-, pcx-, ...; prefix lists included).",
            example: "SELECT route_target('rtb-0424a5a56a5103a02', '52.216.10.20') AS target",
        },
        FunctionDoc {
            name: "flow_facts",
            signature: "flow_facts(eni_id TEXT, srcaddr TEXT, dstaddr TEXT) -> STRUCT",
            doc: "What the classification asks of the inventory about a record, from one lookup \
                  of its ENI and one parse of each address. Of the ENI: eni_known, eni_vpc_id, \
                  eni_role, eni_endpoint_id, eni_public_ip, routes_known \
                  (its subnet's route table is in the inventory), vpc_has_nat_gateway. Of the \
                  addresses: src_own, dst_own (eni_has_ip), peer (the other end of the ENI's own \
                  address), and of the peer, seen from the ENI's VPC, route table and region: \
                  peer_in_vpc, peer_eni_id, peer_endpoint_id, route_target, aws_service, \
                  peer_family, peer_public, gateway_service (S3 or DYNAMODB when an IPv4 peer \
                  outside the VPC lies in that service's ranges of the region) and \
                  gateway_endpoint_id (the VPC's gateway endpoint for that service); and \
                  nat_gateway_via, the NAT gateway traffic to the peer would go through (the \
                  ENI's own, else the one its route sends the peer to, else its VPC's only one).",
            example: "SELECT flow_facts(interface_id, srcaddr, dstaddr)['peer'] AS peer, \
                      count(*) FROM flows GROUP BY 1",
        },
        FunctionDoc {
            name: "price",
            signature: "price(item TEXT, region TEXT) -> DOUBLE",
            doc: "The price in USD of a billed item (interface_endpoint_hour, \
                  interface_endpoint_gb and its tiers interface_endpoint_gb_over_1pb and \
                  interface_endpoint_gb_over_5pb, nat_gateway_hour, nat_gateway_gb, \
                  regional_nat_gateway_zone_hour, cross_az_gb, public_ipv4_hour) in the region, \
                  from the audit's prices (its configuration; the default ones where the region \
                  has none); NULL outside the audit.",
            example: "SELECT sum(bytes) / 1073741824.0 * price('nat_gateway_gb', 'us-east-1') AS usd \
                      FROM flows",
        },
        FunctionDoc {
            name: "billed_usd",
            signature: "billed_usd(item TEXT, region TEXT, quantity DOUBLE [, before DOUBLE]) -> DOUBLE",
            doc: "What AWS bills for a month's quantity of an item (GB for the *_gb items, hours \
                  for the *_hour ones) in the region, when `before` of it was billed in the month \
                  already: interface_endpoint_gb in its tiers of the region's volume (first PB, \
                  next 4 PB, over 5 PB), every other item at price(). NULL outside the audit.",
            example: "SELECT billed_usd('interface_endpoint_gb', 'us-east-1', 2097152) AS two_pb",
        },
        FunctionDoc {
            name: "usd",
            signature: "usd(amount DOUBLE [, places BIGINT]) -> TEXT",
            doc: "The amount as US dollars with thousands separators and cents: $1,234.56, \
                  -$12.00; with places (2 to 6), that many decimals: usd(0.005, 3) is $0.005.",
            example: "SELECT usd(sum(bytes) / 1073741824.0 * 0.045) AS processing FROM flows",
        },
        FunctionDoc {
            name: "format_bytes",
            signature: "format_bytes(n DOUBLE) -> TEXT",
            doc: "The byte count, rounded to a whole byte, in binary units with two decimals: \
                  1.50 GiB (below 1 KiB: 1023 B). Also named human_bytes.",
            example: "SELECT interface_id, format_bytes(sum(bytes)) AS traffic FROM flows GROUP BY 1",
        },
    ]
}

/// The function list as one batch: name, signature, meaning, example.
pub fn docs_batch() -> crate::error::Result<RecordBatch> {
    let docs = docs();
    let column = |f: fn(&FunctionDoc) -> &'static str| {
        Arc::new(StringArray::from(docs.iter().map(f).collect::<Vec<_>>()))
    };
    let schema = Arc::new(Schema::new(
        ["name", "signature", "meaning", "example"]
            .map(|n| Field::new(n, DataType::Utf8, false))
            .to_vec(),
    ));
    Ok(RecordBatch::try_new(
        schema,
        vec![
            column(|d| d.name),
            column(|d| d.signature),
            column(|d| d.doc),
            column(|d| d.example),
        ],
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_registered_function_is_documented_once() {
        let ctx = SessionContext::new();
        let before = ctx.state().scalar_functions().len();
        register_all(&ctx, None, None);
        let state = ctx.state();
        let docs = docs();
        // Every name, and the one other name: human_bytes of format_bytes.
        assert_eq!(state.scalar_functions().len(), before + docs.len() + 1);
        let (named, aliased) = (
            &state.scalar_functions()[figures::FORMAT_BYTES],
            &state.scalar_functions()[figures::HUMAN_BYTES],
        );
        assert!(Arc::ptr_eq(named, aliased), "one function under two names");
        for (i, d) in docs.iter().enumerate() {
            assert!(
                state.scalar_functions().contains_key(d.name),
                "{} is registered",
                d.name
            );
            assert!(d.signature.starts_with(&format!("{}(", d.name)));
            assert!(d.example.contains(&format!("{}(", d.name)));
            assert!(!d.doc.is_empty());
            assert!(docs[..i].iter().all(|o| o.name != d.name));
        }
    }

    #[tokio::test]
    async fn examples_plan() {
        use arrow::datatypes::{DataType, Field, Schema};
        let ctx = SessionContext::new();
        register_all(&ctx, Some(&ServiceIndex::default()), None);
        let schema = Arc::new(Schema::new(
            [
                "srcaddr",
                "dstaddr",
                "pkt_dstaddr",
                "interface_id",
                "vpc_id",
            ]
            .map(|n| Field::new(n, DataType::Utf8, true))
            .into_iter()
            .chain([Field::new("bytes", DataType::Int64, true)])
            .collect::<Vec<_>>(),
        ));
        let empty = arrow::array::RecordBatch::new_empty(schema);
        ctx.register_batch("flows", empty).expect("registers");
        for d in docs() {
            let rows = ctx
                .sql(d.example)
                .await
                .expect("example plans")
                .collect()
                .await
                .expect("example runs");
            assert!(rows.len() <= 1, "{}", d.name);
        }
    }
}

#[cfg(test)]
pub(crate) mod test_sql {
    use arrow::array::RecordBatch;
    use arrow::util::pretty::pretty_format_batches;
    use datafusion::prelude::SessionContext;

    /// The query's result batches.
    pub(crate) async fn collect(ctx: &SessionContext, sql: &str) -> Vec<RecordBatch> {
        ctx.sql(sql)
            .await
            .expect("plans")
            .collect()
            .await
            .expect("runs")
    }

    /// The query's result as a pretty table, one line per row.
    pub(crate) async fn run(ctx: &SessionContext, sql: &str) -> Vec<String> {
        let batches = collect(ctx, sql).await;
        pretty_format_batches(&batches)
            .expect("formats")
            .to_string()
            .lines()
            .map(str::to_string)
            .collect()
    }
}
