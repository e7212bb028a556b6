//! Header lines and `--format` strings: any text either resolves to a layout or is refused,
//! never a panic; a resolved header prints back to a header that resolves to the same layout;
//! and a record line under any resolved layout decodes without a panic, its unknown fields as
//! text columns.
#![no_main]

use std::sync::Arc;

use libfuzzer_sys::fuzz_target;
use vpcflow::ingest::decode::{DecodeConfig, Origin, decode};
use vpcflow::ingest::format::{Columns, Layout};

fuzz_target!(|data: &[u8]| {
    let (head, line) = match data.iter().position(|b| *b == b'\n') {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let from_header = Layout::parse_header(head);
    if let Some(layout) = &from_header {
        let again = Layout::parse_header(layout.header().as_bytes());
        assert_eq!(again.as_ref(), Some(layout), "{}", layout.header());
    }
    let from_format = std::str::from_utf8(head)
        .ok()
        .and_then(|s| Layout::parse_format(s).ok());
    for layout in [from_header, from_format].into_iter().flatten() {
        let mut columns = Columns::default();
        columns.add_layout(&layout);
        let cfg = DecodeConfig::new(columns, None);
        let origin = Origin {
            name: "fuzz.log".into(),
        };
        let d = decode(line, Arc::new(layout), false, &cfg, &origin);
        let rows: usize = d.batches.iter().map(|b| b.num_rows()).sum();
        assert_eq!(rows as u64, d.counts.records);
    }
});
