//! Which value each field of a synthetic record gets.
//!
//! A layout's names resolve through the field registry, so any spelling of a field works. Each
//! registry field the generator has values for has one writer below; a registry field without
//! one is written as `-` (valid for every kind of field), and a name the registry does not know
//! gets a random `[a-z0-9]` token.

use rand::Rng;
use rand_chacha::ChaCha8Rng;

use super::pool::{EcsTask, SynthEni, SynthPool, SynthSubnet, SynthVpc};
use super::row::{Status, SynthRow};
use super::text::{Addr, push_addr, push_i64, push_opt, push_str, push_u64};
use crate::ingest::fields;

/// One drawn record and the parts of the pool it names.
pub(crate) struct Ctx<'a> {
    row: &'a SynthRow,
    eni: &'a SynthEni,
    subnet: &'a SynthSubnet,
    vpc: &'a SynthVpc,
    ecs: Option<&'a EcsTask>,
    hop: &'a SynthEni,
    hop_subnet: &'a SynthSubnet,
    hop_vpc: &'a SynthVpc,
    tgw: &'a str,
    version: u8,
}

impl<'a> Ctx<'a> {
    /// The context of `row`, in a layout of this `version`.
    pub(crate) fn new(row: &'a SynthRow, pool: &'a SynthPool, version: u8) -> Ctx<'a> {
        let eni = &pool.enis[row.eni];
        let vpc = &pool.vpcs[eni.vpc];
        let hop = &pool.enis[row.hop];
        Ctx {
            row,
            eni,
            subnet: &pool.subnets[eni.subnet],
            vpc,
            ecs: eni.ecs.as_ref(),
            hop,
            hop_subnet: &pool.subnets[hop.subnet],
            hop_vpc: &pool.vpcs[hop.vpc],
            tgw: &pool.tgws[vpc.tgw],
            version,
        }
    }
}

/// Writes one field's value of a record.
type WriteFn = fn(&Ctx<'_>, &mut Vec<u8>);

/// A field the generator has values for.
pub(crate) struct Writer {
    /// Its registry name.
    name: &'static str,
    /// Packets make it: written as `-` on NODATA and SKIPDATA rows.
    packet: bool,
    write: WriteFn,
}

const fn w(name: &'static str, packet: bool, write: WriteFn) -> Writer {
    Writer {
        name,
        packet,
        write,
    }
}

/// A field written on every record.
const ANY: bool = false;
/// A field packets make.
const PKT: bool = true;

/// The writers, in the registry's order.
const WRITERS: &[Writer] = &[
    w("version", ANY, |c, o| push_u64(o, u64::from(c.version))),
    w("account_id", ANY, |c, o| push_str(o, c.eni.account)),
    w("interface_id", ANY, |c, o| push_str(o, &c.eni.id)),
    w("srcaddr", PKT, |c, o| push_addr(o, c.row.src)),
    w("dstaddr", PKT, |c, o| push_addr(o, c.row.dst)),
    w("srcport", PKT, |c, o| push_u64(o, u64::from(c.row.srcport))),
    w("dstport", PKT, |c, o| push_u64(o, u64::from(c.row.dstport))),
    w("protocol", PKT, |c, o| push_u64(o, u64::from(c.row.proto))),
    w("packets", PKT, |c, o| push_u64(o, c.row.packets)),
    w("bytes", PKT, |c, o| push_u64(o, c.row.bytes)),
    w("start", ANY, |c, o| push_i64(o, c.row.start)),
    w("end", ANY, |c, o| push_i64(o, c.row.end)),
    w("action", PKT, |c, o| {
        push_str(o, if c.row.accept { "ACCEPT" } else { "REJECT" });
    }),
    w("log_status", ANY, |c, o| push_str(o, status(c.row.status))),
    w("vpc_id", ANY, |c, o| push_str(o, &c.vpc.id)),
    w("subnet_id", ANY, |c, o| push_str(o, &c.subnet.id)),
    w("instance_id", ANY, |c, o| {
        push_opt(o, c.eni.instance.as_deref())
    }),
    w("tcp_flags", PKT, |c, o| push_u64(o, u64::from(c.row.flags))),
    w("type", PKT, |c, o| push_str(o, family(c.row.src))),
    w("pkt_srcaddr", PKT, |c, o| push_addr(o, c.row.pkt_src)),
    w("pkt_dstaddr", PKT, |c, o| push_addr(o, c.row.pkt_dst)),
    w("region", ANY, |c, o| push_str(o, c.vpc.region)),
    w("az_id", ANY, |c, o| push_opt(o, az_id(c.subnet))),
    w("sublocation_type", ANY, |c, o| {
        push_opt(o, c.subnet.sublocation.as_ref().map(|s| s.0));
    }),
    w("sublocation_id", ANY, |c, o| {
        push_opt(o, c.subnet.sublocation.as_ref().map(|s| s.1.as_str()));
    }),
    w("pkt_src_aws_service", PKT, |c, o| {
        push_opt(o, c.row.src_svc)
    }),
    w("pkt_dst_aws_service", PKT, |c, o| {
        push_opt(o, c.row.dst_svc)
    }),
    w("flow_direction", PKT, |c, o| {
        push_str(o, if c.row.egress { "egress" } else { "ingress" });
    }),
    w("traffic_path", PKT, |c, o| push_small(o, c.row.path)),
    w("resource_type", ANY, |c, o| {
        let hop = c.row.has_hop;
        push_str(
            o,
            if hop {
                "TransitGatewayAttachment"
            } else {
                "TransitGateway"
            },
        );
    }),
    w("tgw_id", ANY, |c, o| push_str(o, c.tgw)),
    w("tgw_attachment_id", ANY, |c, o| {
        push_str(o, &c.vpc.attachment)
    }),
    w("tgw_src_vpc_account_id", ANY, |c, o| {
        push_str(o, c.vpc.account)
    }),
    w("tgw_dst_vpc_account_id", ANY, |c, o| {
        push_str(o, c.hop_vpc.account)
    }),
    w("tgw_src_vpc_id", ANY, |c, o| push_str(o, &c.vpc.id)),
    w("tgw_dst_vpc_id", ANY, |c, o| push_str(o, &c.hop_vpc.id)),
    w("tgw_src_subnet_id", ANY, |c, o| push_str(o, &c.subnet.id)),
    w("tgw_dst_subnet_id", ANY, |c, o| {
        push_str(o, &c.hop_subnet.id)
    }),
    w("tgw_src_eni", ANY, |c, o| push_str(o, &c.eni.id)),
    w("tgw_dst_eni", ANY, |c, o| push_str(o, &c.hop.id)),
    w("tgw_src_az_id", ANY, |c, o| push_str(o, &c.subnet.az_id)),
    w("tgw_dst_az_id", ANY, |c, o| {
        push_str(o, &c.hop_subnet.az_id)
    }),
    w("tgw_pair_attachment_id", ANY, |c, o| {
        push_str(o, &c.hop_vpc.attachment);
    }),
    w("packets_lost_no_route", PKT, |c, o| push_u64(o, c.row.lost)),
    w("packets_lost_blackhole", PKT, |c, o| {
        push_u64(o, c.row.lost)
    }),
    w("packets_lost_mtu_exceeded", PKT, |c, o| {
        push_u64(o, c.row.lost)
    }),
    w("packets_lost_ttl_expired", PKT, |c, o| {
        push_u64(o, c.row.lost)
    }),
    w("ecs_cluster_arn", ANY, |c, o| {
        push_opt(o, c.ecs.map(|t| t.cluster_arn.as_str()));
    }),
    w("ecs_cluster_name", ANY, |c, o| {
        push_opt(o, c.ecs.map(|t| t.cluster_name));
    }),
    w("ecs_container_instance_arn", ANY, |c, o| {
        push_opt(o, container_instance(c).map(|ci| ci.0.as_str()));
    }),
    w("ecs_container_instance_id", ANY, |c, o| {
        push_opt(o, container_instance(c).map(|ci| ci.1.as_str()));
    }),
    w("ecs_container_id", ANY, |c, o| {
        push_opt(o, c.ecs.map(|t| t.container_id.as_str()));
    }),
    w("ecs_second_container_id", ANY, |c, o| {
        push_opt(o, c.ecs.and_then(|t| t.second_container_id.as_deref()));
    }),
    w("ecs_service_name", ANY, |c, o| {
        push_opt(o, c.ecs.and_then(|t| t.service));
    }),
    w("ecs_task_definition_arn", ANY, |c, o| {
        push_opt(o, c.ecs.map(|t| t.task_definition_arn.as_str()));
    }),
    w("ecs_task_arn", ANY, |c, o| {
        push_opt(o, c.ecs.map(|t| t.task_arn.as_str()));
    }),
    w("ecs_task_id", ANY, |c, o| {
        push_opt(o, c.ecs.map(|t| t.task_id.as_str()));
    }),
    w("reject_reason", PKT, |c, o| {
        push_opt(o, c.row.bpa.then_some("BPA"));
    }),
    w("resource_id", ANY, |c, o| {
        push_opt(o, c.eni.resource_id.as_deref())
    }),
    w("encryption_status", PKT, |c, o| {
        push_small(o, c.row.encryption)
    }),
    w("instance_tag", ANY, |c, o| push_opt(o, c.eni.tags[0])),
    w("instance_tag_2", ANY, |c, o| push_opt(o, c.eni.tags[1])),
    w("interface_tag", ANY, |c, o| push_opt(o, c.eni.tags[2])),
    w("interface_tag_2", ANY, |c, o| push_opt(o, c.eni.tags[3])),
    w("asg_tag", ANY, |c, o| push_opt(o, c.eni.tags[4])),
    w("asg_tag_2", ANY, |c, o| push_opt(o, c.eni.tags[5])),
    w("interface_type", ANY, |c, o| {
        push_str(o, c.eni.kind.interface_type());
    }),
    w("next_hop_interface_id", PKT, |c, o| {
        push_opt(o, c.row.has_hop.then_some(c.hop.id.as_str()));
    }),
    w("next_hop_subnet_id", PKT, |c, o| {
        push_opt(o, c.row.has_hop.then_some(c.hop_subnet.id.as_str()));
    }),
    w("next_hop_az_id", PKT, |c, o| {
        push_opt(o, az_id(c.hop_subnet).filter(|_| c.row.has_hop));
    }),
    w("next_hop_vpc_id", PKT, |c, o| {
        push_opt(o, c.row.has_hop.then_some(c.hop_vpc.id.as_str()));
    }),
    w("next_hop_interface_type", PKT, |c, o| {
        push_opt(o, c.row.has_hop.then_some(c.hop.kind.interface_type()));
    }),
];

/// The text of a status.
fn status(s: Status) -> &'static str {
    match s {
        Status::Ok => "OK",
        Status::NoData => "NODATA",
        Status::SkipData => "SKIPDATA",
    }
}

/// `type`: the address family of the record.
fn family(src: Addr) -> &'static str {
    match src {
        Addr::V6(_) => "IPv6",
        _ => "IPv4",
    }
}

/// A subnet's AZ id; none for a subnet in a sublocation.
fn az_id(s: &SynthSubnet) -> Option<&str> {
    s.sublocation.is_none().then_some(s.az_id.as_str())
}

/// The ECS task's container instance (ARN and id), on EC2 capacity.
fn container_instance<'a>(c: &Ctx<'a>) -> Option<&'a (String, String)> {
    c.ecs.and_then(|t| t.container_instance.as_ref())
}

/// A small number, or `-`.
fn push_small(out: &mut Vec<u8>, v: Option<u8>) {
    match v {
        Some(v) => push_u64(out, u64::from(v)),
        None => out.push(b'-'),
    }
}

/// How one column of a layout is written.
#[derive(Clone, Copy)]
pub(crate) enum Column {
    /// A field with synthetic values.
    Drawn(&'static Writer),
    /// A registry field the generator has no values for: always `-`.
    Blank,
    /// A name the registry does not know: a random `[a-z0-9]` token.
    Unknown,
}

impl Column {
    /// The column of a field name in any spelling.
    pub(crate) fn of(name: &str) -> Column {
        match fields::find(name) {
            None => Column::Unknown,
            Some(f) => WRITERS
                .iter()
                .find(|w| w.name == f.name)
                .map_or(Column::Blank, Column::Drawn),
        }
    }

    /// Writes this column's value of the record in `c`.
    pub(crate) fn write(self, c: &Ctx<'_>, rng: &mut ChaCha8Rng, out: &mut Vec<u8>) {
        match self {
            Column::Drawn(w) if w.packet && c.row.status != Status::Ok => out.push(b'-'),
            Column::Drawn(w) => (w.write)(c, out),
            Column::Blank => out.push(b'-'),
            Column::Unknown => {
                const ALNUM: &[u8; 36] = b"abcdefghijklmnopqrstuvwxyz0123456789";
                let mut bits: u64 = rng.random();
                for _ in 0..8 {
                    out.push(ALNUM[(bits % 36) as usize]);
                    bits /= 36;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_writer_is_a_registry_field_once() {
        for (i, w) in WRITERS.iter().enumerate() {
            let f = fields::find(w.name).map(|f| f.name);
            assert_eq!(f, Some(w.name), "{} is not a registry name", w.name);
            assert!(WRITERS[..i].iter().all(|x| x.name != w.name), "{}", w.name);
        }
    }
}
