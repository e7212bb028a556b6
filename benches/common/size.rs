//! The size knob of the benches that parse generated text: `VPCFLOW_BENCH_MB` (default 64).

/// Bytes of text a case generates: `VPCFLOW_BENCH_MB` megabytes, 64 by default.
pub fn target_bytes() -> usize {
    std::env::var("VPCFLOW_BENCH_MB")
        .ok()
        .and_then(|v| v.parse::<usize>().ok())
        .unwrap_or(64)
        << 20
}
