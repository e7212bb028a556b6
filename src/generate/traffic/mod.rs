//! The estate's traffic: connections rendered as (capturing ENI, field -> value) records.
//!
//! `profiles` says how each kind of connection looks, `emitter` turns one connection into the
//! records of every ENI it crosses, `mix` says what the accounts do hour by hour, and `later`
//! what the parts added to the estate later do.
//! [`emit_flows`] hands the records out one delivery hour at a time.

mod emitter;
mod later;
mod mix;
mod profiles;

use std::collections::BTreeMap;

use emitter::Emitter;
pub(crate) use profiles::spread;

use crate::error::Result;
use crate::generate::EstateOptions;
use crate::generate::estate::Estate;

/// One record's values by hyphenated field name; absent fields render as `-`, and `version`
/// comes from the layout, so every format renders from the same map.
pub(crate) type Record = BTreeMap<&'static str, String>;

/// A record captured on one ENI.
pub(crate) struct Row {
    pub(crate) eni: usize,
    pub(crate) start: i64,
    pub(crate) rec: Record,
}

/// Mixed into the seed for the later parts' random stream.
const LATER_STREAM: u64 = 0x5eed_1a7e_0000_0002;

/// The hour (from `t0`) a record starting at `start` is delivered in.
pub(crate) fn hour_of(start: i64, t0: i64) -> u32 {
    u32::try_from((start - t0).div_euclid(3_600)).unwrap_or(0)
}

/// The estate's records, handed to `sink` one delivery hour at a time (each record in
/// generation order: the traffic of every hour, the later parts' traffic, then the quiet
/// records), so memory holds one hour. The quiet records draw from the random stream after all
/// the traffic; a first pass runs the traffic only to reach that point, and keeps just the
/// quiet records. The later parts draw from a stream of their own.
pub(crate) fn emit_flows(
    e: &Estate,
    opts: &EstateOptions,
    t0: i64,
    mut sink: impl FnMut(Vec<Row>) -> Result<()>,
) -> Result<()> {
    let mut first = Emitter::new(e, opts);
    for h in 0..opts.hours {
        first.traffic(opts, h, t0);
        first.rows.clear();
    }
    first.quiet(opts.hours, t0);
    let mut quiet: BTreeMap<u32, Vec<Row>> = BTreeMap::new();
    for row in first.rows {
        quiet.entry(hour_of(row.start, t0)).or_default().push(row);
    }
    let mut em = Emitter::new(e, opts);
    let mut later = Emitter::with_stream(e, opts, LATER_STREAM);
    for h in 0..opts.hours {
        em.traffic(opts, h, t0);
        later.later(t0 + i64::from(h) * 3_600);
        let mut rows = std::mem::take(&mut em.rows);
        rows.append(&mut later.rows);
        rows.extend(quiet.remove(&h).unwrap_or_default());
        sink(rows)?;
    }
    for rows in quiet.into_values() {
        sink(rows)?;
    }
    Ok(())
}
