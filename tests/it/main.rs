//! vpcflow's integration tests, one binary: each module drives the built `vpcflow` on
//! `sample-logs/` or a fixture of `tests/fixtures/`. `./test` sets up the external tools
//! (Chromium, moto's S3 server, DuckDB, pyarrow) and the test cluster; without them the tests
//! that need one fail with a line naming it (see `common::tools`).

mod audit;
mod classify;
mod cli;
#[cfg(feature = "cluster")]
mod cluster;
#[cfg(feature = "collect")]
mod collect;
mod common;
mod hostile;
mod network;
mod nothing_lost;
mod queries;
mod readme;
mod s3;
mod sql;
mod unseen;
