//! The crate's one error type and its `Result` alias.
//!
//! Library code returns typed errors that say *where* (file, line, field) and leaves the printing
//! to `main`, which prints each error once. DataFusion, Arrow and Parquet errors are converted
//! here, in one place.

use std::path::PathBuf;

/// Every error vpcflow reports.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// An input or output file could not be read or written.
    #[error("{}: {source}", path.display())]
    Io {
        /// The file or directory involved.
        path: PathBuf,
        /// The underlying I/O error.
        source: std::io::Error,
    },
    /// An input file is damaged as a whole (corrupt gzip, unreadable Parquet footer).
    #[error("{}: {reason}", path.display())]
    Input {
        /// The file involved.
        path: PathBuf,
        /// What is wrong with it.
        reason: String,
    },
    /// A command-line argument or option value is wrong.
    #[error("{0}")]
    Usage(String),
    /// More malformed lines than `--max-bad-lines` allows.
    #[error("{found} bad lines, more than the {allowed} allowed by --max-bad-lines")]
    TooManyBadLines {
        /// Bad lines seen.
        found: u64,
        /// The limit.
        allowed: u64,
    },
    /// Objects changed while an ingest read them; the run committed nothing.
    #[error(
        "{0} object(s) changed while being read (named above); nothing was committed: run again once they no longer change"
    )]
    ChangedWhileRead(u64),
    /// A SQL statement failed to plan or run.
    #[error("{0}")]
    Sql(String),
    /// Arrow or Parquet failed while building or writing data.
    #[error("{0}")]
    Data(String),
}

/// The crate's result type.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    /// Wraps an I/O error with the path it concerns.
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Error::Io {
            path: path.into(),
            source,
        }
    }

    /// The message without the path, for callers that print the path themselves.
    pub fn reason(&self) -> String {
        match self {
            Error::Io { source, .. } => source.to_string(),
            Error::Input { reason, .. } => reason.clone(),
            other => other.to_string(),
        }
    }

    /// `e` and every error under it, `: `-separated: HTTP clients' messages leave out the
    /// cause that says what happened (refused, timed out, a bad certificate).
    pub fn with_causes(e: &(dyn std::error::Error + 'static)) -> String {
        let mut said = e.to_string();
        let mut cause = e.source();
        while let Some(c) = cause {
            said.push_str(&format!(": {c}"));
            cause = c.source();
        }
        said
    }

    /// An error about one input file as a whole.
    pub fn input(path: impl Into<PathBuf>, reason: impl Into<String>) -> Self {
        Error::Input {
            path: path.into(),
            reason: reason.into(),
        }
    }
}

#[cfg(feature = "cli")]
impl From<datafusion::error::DataFusionError> for Error {
    fn from(e: datafusion::error::DataFusionError) -> Self {
        // DataFusion wraps errors in context layers; the innermost message is the useful one,
        // but its own Display already strips backtraces. Keep it on one line.
        Error::Sql(e.to_string().trim().to_string())
    }
}

impl From<arrow::error::ArrowError> for Error {
    fn from(e: arrow::error::ArrowError) -> Self {
        Error::Data(e.to_string())
    }
}

impl From<parquet::errors::ParquetError> for Error {
    fn from(e: parquet::errors::ParquetError) -> Self {
        Error::Data(e.to_string())
    }
}
