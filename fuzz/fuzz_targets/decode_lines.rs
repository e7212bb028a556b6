//! The line decoder on any bytes: it never panics, every row it keeps is counted, and decoding
//! the text in two pieces (cut at any line end, the second piece starting in the layout the
//! first ended in) gives exactly what decoding it whole gives. That is what the parallel reader
//! relies on when it cuts objects into blocks.
#![no_main]

use std::sync::Arc;

use arrow::compute::concat_batches;
use libfuzzer_sys::fuzz_target;
use vpcflow::generate::V5_CUSTOM_FIELDS;
use vpcflow::ingest::decode::{BadLine, DecodeConfig, Decoded, Note, Origin, decode};
use vpcflow::ingest::format::{Columns, Layout};

fuzz_target!(|data: &[u8]| {
    let Some((&choice, text)) = data.split_first() else {
        return;
    };
    let layout = if choice & 1 == 0 {
        Layout::default_v2()
    } else {
        Layout::parse_format(&V5_CUSTOM_FIELDS.join(" ")).expect("the v5 format parses")
    };
    let mut cfg = DecodeConfig::new(Columns::default(), None);
    cfg.max_line = 4096;
    cfg.batch_rows = 1 + usize::from(choice >> 4);
    let origin = Origin {
        name: "fuzz.log".into(),
    };
    let layout = Arc::new(layout);
    let whole = decode(text, layout.clone(), true, &cfg, &origin);
    check(&whole, &cfg);
    // Lines: every newline ends one, and a last line without a newline counts too.
    let newlines = text.iter().filter(|b| **b == b'\n').count() as u64;
    let lines = newlines + u64::from(!text.is_empty() && !text.ends_with(b"\n"));
    assert_eq!(whole.lines, lines);

    // Cut after the n-th line end, n picked by the choice byte.
    let ends: Vec<usize> = text
        .iter()
        .enumerate()
        .filter(|(_, b)| **b == b'\n')
        .map(|(i, _)| i + 1)
        .collect();
    if ends.is_empty() {
        return;
    }
    let cut = ends[usize::from(choice >> 1) % ends.len()];
    let first = decode(&text[..cut], layout, true, &cfg, &origin);
    let second = decode(&text[cut..], first.layout.clone(), false, &cfg, &origin);
    check(&first, &cfg);
    check(&second, &cfg);
    assert_eq!(first.lines + second.lines, whole.lines);
    assert_eq!(*second.layout, *whole.layout);
    let mut counts = first.counts;
    counts.add(second.counts);
    assert_eq!(counts, whole.counts);
    let shift = |bad: &[BadLine], by: u64| -> Vec<BadLine> {
        bad.iter()
            .cloned()
            .map(|mut b| {
                b.line += by;
                b
            })
            .collect()
    };
    let mut bad = shift(&first.bad, 0);
    bad.extend(shift(&second.bad, first.lines));
    assert_eq!(bad, whole.bad);
    let mut notes: Vec<Note> = first.notes.clone();
    notes.extend(second.notes.iter().cloned().map(|mut n| {
        n.line += first.lines;
        n
    }));
    assert_eq!(notes, whole.notes);
    let rows = |d: &Decoded| concat_batches(&cfg.schema, &d.batches).expect("same schema");
    let mut pieces = first.batches.clone();
    pieces.extend(second.batches.iter().cloned());
    let pieces = concat_batches(&cfg.schema, &pieces).expect("same schema");
    assert_eq!(pieces, rows(&whole));
});

/// What holds for any decoded buffer: rows are counted, batches are within their size and the
/// run's schema, bad lines are in order and kept within the line cap.
fn check(d: &Decoded, cfg: &DecodeConfig) {
    let rows: usize = d.batches.iter().map(|b| b.num_rows()).sum();
    assert_eq!(rows as u64, d.counts.records);
    for b in &d.batches {
        assert!(b.num_rows() <= cfg.batch_rows);
        assert_eq!(b.schema(), cfg.schema);
    }
    assert!(d.bad.windows(2).all(|w| w[0].line < w[1].line));
    assert!(d.bad.iter().all(|b| b.line < d.lines.max(1)));
    assert!(d.counts.nodata + d.counts.skipdata <= d.counts.records);
    assert!(d.counts.records + d.bad.len() as u64 <= d.lines);
}
