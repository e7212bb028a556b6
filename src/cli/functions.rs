//! `vpcflow functions`: the SQL functions vpcflow adds, with signature, meaning and example.

use clap::Args;

use super::common::{Outcome, print_fitted};
use crate::error::Result;
use crate::report::Format;
use crate::sql::udf::docs_batch;

/// Arguments of `vpcflow functions`.
#[derive(Debug, Args)]
pub struct FunctionsArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub output: Format,
}

/// Prints the function list.
pub fn run(args: FunctionsArgs) -> Result<Outcome> {
    print_fitted(&docs_batch()?, args.output)?;
    Ok(Outcome::Success)
}
