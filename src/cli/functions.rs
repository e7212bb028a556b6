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

/// Prints the function list.
pub fn run(args: FunctionsArgs) -> Result<Outcome> {
    let docs = docs();
    let column = |f: fn(&crate::sql::udf::FunctionDoc) -> &'static str| {
        Arc::new(StringArray::from(docs.iter().map(f).collect::<Vec<_>>()))
    };
    let schema = Arc::new(Schema::new(
        ["name", "signature", "meaning", "example"]
            .map(|n| Field::new(n, DataType::Utf8, false))
            .to_vec(),
    ));
    let batch = RecordBatch::try_new(
        schema.clone(),
        vec![
            column(|d| d.name),
            column(|d| d.signature),
            column(|d| d.doc),
            column(|d| d.example),
        ],
    )?;
    let mut out = std::io::BufWriter::new(std::io::stdout());
    render(&mut out, schema, &[batch], args.output)?;
    Ok(Outcome::Success)
}
