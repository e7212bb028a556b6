//! `vpcflow functions`: the SQL functions vpcflow adds, with signature, meaning and example.

use std::sync::Arc;

use arrow::array::{RecordBatch, StringArray};
use arrow::datatypes::{DataType, Field, Schema};
use clap::Args;

use super::Outcome;
use crate::error::Result;
use crate::report::{Format, render};
use crate::sql::udf::docs;

/// Arguments of `vpcflow functions`.
#[derive(Debug, Args)]
pub struct FunctionsArgs {
    /// Output format.
    #[arg(long, short, value_enum, default_value_t = Format::Table)]
    pub output: Format,
}

/// The function list as one batch: name, signature, meaning, example.
pub fn functions_batch() -> Result<RecordBatch> {
    let docs = docs();
    let column = |f: fn(&crate::sql::udf::FunctionDoc) -> &'static str| {
        Arc::new(StringArray::from(docs.iter().map(f).collect::<Vec<_>>()))
    };
    let schema = Arc::new(Schema::new(
        ["name", "signature", "meaning", "example"]
            .map(|n| Field::new(n, DataType::Utf8, false))
            .to_vec(),
    ));
    Ok(RecordBatch::try_new(
        schema,
        vec![
            column(|d| d.name),
            column(|d| d.signature),
            column(|d| d.doc),
            column(|d| d.example),
        ],
    )?)
}

/// Prints the function list.
pub fn run(args: FunctionsArgs) -> Result<Outcome> {
    let batch = functions_batch()?;
    let mut out = std::io::BufWriter::new(std::io::stdout());
    render(&mut out, batch.schema(), &[batch], args.output)?;
    Ok(Outcome::Success)
}
