//! The reading path of real objects: any bytes, stored as they are (so damaged gzip, Parquet
//! magic and binary junk reach the sniffer) or gzip-compressed, parsed by the parallel reader
//! in small blocks on several threads give exactly the batches, bad lines, warnings and file
//! errors of one thread reading the object whole.
#![no_main]

use std::io::Write;
use std::sync::Arc;

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use libfuzzer_sys::fuzz_target;
use vpcflow::ingest::decode::DecodeConfig;
use vpcflow::ingest::format::{Columns, Layout};
use vpcflow::ingest::parallel::{self, Input, Recorded, RunOptions};

fn parse(path: &std::path::Path, opts: RunOptions) -> (RecordBatch, Vec<String>, u64) {
    let mut cfg = DecodeConfig::new(Columns::default(), None);
    cfg.max_line = 512;
    cfg.batch_rows = 7;
    let cfg = Arc::new(cfg);
    let input = Input::local(path, Layout::default_v2());
    let diag = Recorded::default();
    let mut batches = Vec::new();
    let totals = parallel::read(
        vec![input],
        cfg.clone(),
        opts,
        Box::new(diag.clone()),
        |b| batches.push(b),
    );
    let all = concat_batches(&cfg.schema, &batches).expect("one schema");
    (all, diag.lines(), totals.counts.records)
}

fuzz_target!(|data: &[u8]| {
    let Some((&choice, body)) = data.split_first() else {
        return;
    };
    let bytes = if choice & 1 == 1 {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        gz.write_all(body).expect("in memory");
        gz.finish().expect("in memory")
    } else {
        body.to_vec()
    };
    let Ok(dir) = tempfile_dir() else { return };
    let path = dir.join("object.log");
    if std::fs::write(&path, &bytes).is_err() {
        return;
    }
    let whole = RunOptions {
        threads: 1,
        block_bytes: 1 << 30,
        whole_gzip_bytes: u64::MAX,
        inflate_cap: 1 << 30,
    };
    // Blocks just over the line cap, gzip streamed (or inflated whole, then cut off at a cap).
    let blocks = RunOptions {
        threads: 3,
        block_bytes: 513 + usize::from(choice >> 2) * 7,
        whole_gzip_bytes: if choice & 2 == 0 { 0 } else { u64::MAX },
        inflate_cap: 600,
    };
    let (a, notes_a, records_a) = parse(&path, whole);
    let (b, notes_b, records_b) = parse(&path, blocks);
    assert_eq!(records_a, a.num_rows() as u64);
    assert_eq!(records_a, records_b);
    assert_eq!(notes_a, notes_b);
    assert_eq!(a, b);
});

/// One scratch directory per fuzzing process.
fn tempfile_dir() -> std::io::Result<std::path::PathBuf> {
    let dir = std::env::temp_dir().join(format!("vpcflow-fuzz-{}", std::process::id()));
    std::fs::create_dir_all(&dir)?;
    Ok(dir)
}
