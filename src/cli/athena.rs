//! `vpcflow athena-ddl`: the CREATE EXTERNAL TABLE statement that lets Athena (or Trino, Hive)
//! read an ingested dataset once it is copied to S3, with partition projection on `date` so
//! no partition ever needs adding.

use std::io::Write;
use std::path::PathBuf;

use arrow::datatypes::{DataType, TimeUnit};
use clap::Args;

use super::common::{Outcome, runtime};
use crate::error::{Error, Result};
use crate::ingest::format::DATE_COLUMN;
use crate::ingest::parallel::RunOptions;
use crate::ingest::sink::{FLOWS_DIR, UNKNOWN_DATE, is_dataset};
use crate::sql::session::{self, FlowsSource, SessionOptions};

/// Arguments of `vpcflow athena-ddl`.
#[derive(Debug, Args)]
#[command(
    after_help = "Copy the dataset's flows/ folder to S3 (e.g. `aws s3 sync DATASET/flows s3://bucket/vpcflow/flows`), then run the printed statement in Athena. Partition projection finds every day from the first one to today; nothing needs MSCK REPAIR."
)]
pub struct AthenaArgs {
    /// The ingested dataset (the folder `vpcflow ingest --out` wrote).
    #[arg(value_name = "DATASET")]
    pub dataset: PathBuf,
    /// Where the dataset lives in S3: the folder holding `flows/` (s3://bucket/prefix).
    #[arg(long, value_name = "S3_URL")]
    pub location: String,
    /// Name of the table.
    #[arg(long, default_value = "vpc_flow_logs")]
    pub table: String,
}

/// Prints the statement.
pub fn run(args: AthenaArgs, opts: RunOptions) -> Result<Outcome> {
    let location = args.location.trim_end_matches('/');
    if !location.starts_with("s3://") || location.len() <= "s3://".len() {
        return Err(Error::Usage(format!(
            "--location {}: expected s3://bucket/prefix",
            args.location
        )));
    }
    if !is_dataset(&args.dataset) {
        return Err(Error::Usage(format!(
            "{}: not an ingested dataset (see `vpcflow ingest --out`)",
            args.dataset.display()
        )));
    }
    let first_day = first_day(&args.dataset)?;
    let schema = runtime(opts)?.block_on(async {
        let source = FlowsSource::Dataset(args.dataset.clone());
        let session = session::open(SessionOptions::new(source)).await?;
        Ok::<_, Error>(session.context().table_provider("flows").await?.schema())
    })?;
    let mut columns = Vec::new();
    for field in schema.fields().iter().filter(|f| f.name() != DATE_COLUMN) {
        let kind = hive_type(field.data_type()).ok_or_else(|| {
            Error::Data(format!(
                "column {}: no Athena type for {}",
                field.name(),
                field.data_type()
            ))
        })?;
        let comment = if matches!(field.data_type(), DataType::Timestamp(TimeUnit::Second, _)) {
            format!(
                " COMMENT 'epoch seconds, UTC: from_unixtime({})'",
                field.name()
            )
        } else {
            String::new()
        };
        columns.push(format!("  `{}` {kind}{comment}", field.name()));
    }
    let flows = format!("{location}/{FLOWS_DIR}");
    let ddl = format!(
        "CREATE EXTERNAL TABLE IF NOT EXISTS `{table}` (\n{columns}\n)\n\
         PARTITIONED BY (`{DATE_COLUMN}` string)\n\
         STORED AS PARQUET\n\
         LOCATION '{flows}/'\n\
         TBLPROPERTIES (\n  \
         'projection.enabled' = 'true',\n  \
         'projection.{DATE_COLUMN}.type' = 'date',\n  \
         'projection.{DATE_COLUMN}.format' = 'yyyy-MM-dd',\n  \
         'projection.{DATE_COLUMN}.range' = '{first_day},NOW',\n  \
         'projection.{DATE_COLUMN}.interval' = '1',\n  \
         'projection.{DATE_COLUMN}.interval.unit' = 'DAYS',\n  \
         'storage.location.template' = '{flows}/{DATE_COLUMN}=${{{DATE_COLUMN}}}/'\n\
         );\n",
        table = args.table,
        columns = columns.join(",\n"),
    );
    std::io::stdout()
        .write_all(ddl.as_bytes())
        .map_err(|e| Error::io("<stdout>", e))?;
    Ok(Outcome::Success)
}

/// The earliest `date=YYYY-MM-DD` partition of the dataset (records without a date stay
/// outside Athena's projection).
fn first_day(root: &std::path::Path) -> Result<String> {
    let dir = root.join(FLOWS_DIR);
    let prefix = format!("{DATE_COLUMN}=");
    let entries = std::fs::read_dir(&dir).map_err(|e| Error::io(&dir, e))?;
    entries
        .filter_map(|e| e.ok()?.file_name().into_string().ok())
        .filter_map(|name| Some(name.strip_prefix(&prefix)?.to_string()))
        .filter(|day| day != UNKNOWN_DATE)
        .min()
        .ok_or_else(|| Error::Data(format!("{}: the dataset holds no records", dir.display())))
}

/// The Hive/Athena type that reads a Parquet column written from this Arrow type.
fn hive_type(data_type: &DataType) -> Option<&'static str> {
    Some(match data_type {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "string",
        DataType::Dictionary(_, value) => return hive_type(value),
        DataType::Boolean => "boolean",
        DataType::Int8 | DataType::Int16 | DataType::Int32 | DataType::UInt8 | DataType::UInt16 => {
            "int"
        }
        DataType::Int64 | DataType::UInt32 | DataType::UInt64 => "bigint",
        DataType::Float32 => "float",
        DataType::Float64 => "double",
        // Parquet has no unit of seconds: such columns are plain INT64 epoch seconds.
        DataType::Timestamp(TimeUnit::Second, _) => "bigint",
        DataType::Timestamp(_, _) => "timestamp",
        DataType::Date32 => "date",
        _ => return None,
    })
}
