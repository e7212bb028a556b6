//! [`synthetic_text`]: random but valid records in any field layout, fast, for benchmarks and
//! load tests.
//!
//! `pool` is the fixed world records are drawn from, `row` draws one record's values, `columns`
//! says which value each field gets, and `text` writes values into the output without
//! formatting machinery.

mod columns;
mod pool;
mod row;
mod text;

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;

use columns::{Column, Ctx};
use pool::SynthPool;
use row::SynthRow;

use super::layouts::layout_version;

/// 2026-11-20T00:00:00Z.
pub(crate) const SYNTH_BASE: i64 = 1_795_132_800;

/// Renders `records` random, valid flow-log records in the layout `fields` (hyphenated field
/// names, any field of any version; unknown names get a random `[a-z0-9]` token), one per line
/// with `\n` endings, after a header line of the field names when `header` is true.
///
/// Values follow each field's rules: `version` is the layout's highest field version, ports
/// 0-65535, protocol 6/17/1, 64-bit byte counts (now and then above 2^32), start/end Unix
/// seconds over 2026-11-20 with `end >= start`, about 1% NODATA/SKIPDATA rows whose
/// packet-derived fields are `-`, about 5% IPv6 rows, `-` for instance-id on requester-managed
/// ENIs, traffic-path on ingress and other fields that may be missing, and AWS-shaped ids.
/// Deterministic for a seed; built for speed (benchmarks generate hundreds of MB with it).
pub fn synthetic_text(seed: u64, records: usize, fields: &[&str], header: bool) -> Vec<u8> {
    let cols: Vec<Column> = fields.iter().map(|f| Column::of(f)).collect();
    let version = layout_version(fields);
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let pool = SynthPool::new(&mut rng);
    let per_record = 12 * fields.len() + 1;
    let mut out = Vec::with_capacity(records.saturating_mul(per_record).min(1 << 31) + 1_024);
    if header {
        out.extend_from_slice(fields.join(" ").as_bytes());
        out.push(b'\n');
    }
    let span = records.max(1) as u64;
    let mut row = SynthRow::default();
    for i in 0..records {
        // Spread the records over one day, in roughly increasing time order.
        let offset = (i as u64 * 86_400 / span) as i64;
        row.fill(&mut rng, &pool, offset);
        let ctx = Ctx::new(&row, &pool, version);
        for (k, col) in cols.iter().enumerate() {
            if k > 0 {
                out.push(b' ');
            }
            col.write(&ctx, &mut rng, &mut out);
        }
        out.push(b'\n');
    }
    out
}
