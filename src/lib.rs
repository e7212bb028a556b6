//! vpcflow turns AWS VPC Flow Logs into answers.
//!
//! The pipeline: [`ingest::open`] opens the inputs: [`ingest::discover`] finds the objects
//! (files, directories, S3-layout trees, and through `ingest::remote` `s3://` prefixes),
//! [`ingest::source`] sniffs each one (text, gzip, AWS Parquet) and resolves its layout from the
//! header line or `--format`, [`ingest::parallel`] cuts them into line-aligned blocks that
//! [`ingest::decode`] turns into Arrow RecordBatches on every core, in order and with bounded
//! memory. The batches go to a Parquet dataset ([`ingest::sink`]) or straight into DataFusion as
//! the `flows` table ([`sql::session`]). With the `cluster` feature, `cluster` runs the same
//! SQL on a Ballista cluster. ARCHITECTURE.md at the root of the repository maps the modules.
//!
//! ```
//! use std::sync::Arc;
//! use vpcflow::ingest::decode::{decode, DecodeConfig, Origin};
//! use vpcflow::ingest::format::{Columns, Layout};
//!
//! let text = b"2 123456789010 eni-1235b8ca123456789 172.31.16.139 172.31.16.21 20641 22 6 20 4249 1418530010 1418530070 ACCEPT OK\n";
//! let cfg = DecodeConfig::new(Columns::default(), None);
//! let origin = Origin { name: "example.log".into() };
//! let out = decode(text, Arc::new(Layout::default_v2()), true, &cfg, &origin);
//! assert_eq!(out.counts.records, 1);
//! assert!(out.bad.is_empty());
//! ```

#[cfg(feature = "cli")]
pub mod audit;
#[cfg(feature = "cli")]
pub mod cli;
#[cfg(feature = "cluster")]
pub mod cluster;
pub mod error;
pub mod generate;
pub mod ingest;
pub mod inventory;
pub mod net;
pub mod report;
#[cfg(feature = "cli")]
pub mod sql;

pub use error::{Error, Result};
