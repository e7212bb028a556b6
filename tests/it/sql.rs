//! Integration tests of ad-hoc SQL: `vpcflow query` and `vpcflow shell` on `sample-logs/`.
//!
//! Most run over `sample-logs/invalid/field-count.log`, whose two good records are known by
//! hand: 10.0.1.5 -> 10.0.2.9:443 with 1000 bytes, and 10.0.2.9:443 -> 10.0.1.5 with 2000
//! bytes (its middle line lacks a field and is a bad line).

use crate::common::tools::python;
use crate::common::{run, vpcflow};
use arrow::array::AsArray;
use arrow::datatypes::UInt64Type;

const TWO_RECORDS: &str = "sample-logs/invalid/field-count.log";
const BY_BYTES: &str = "SELECT srcaddr, bytes FROM flows ORDER BY bytes";

#[test]
fn each_text_format() {
    let mut all = String::new();
    for format in ["table", "csv", "tsv", "json", "ndjson", "markdown"] {
        let (code, out, err) = run(&["query", BY_BYTES, TWO_RECORDS, "-q", "-o", format], "");
        assert_eq!(code, Some(0), "{format}: {err}");
        all.push_str(&format!("--- {format}\n{out}"));
    }
    insta::assert_snapshot!(all);
}

#[test]
fn human_writes_byte_counts_in_tables_only() {
    // 1000 bytes, 2000 bytes (1.953 KiB), and both together 3000 bytes (2.930 KiB); packets
    // are no bytes, and text named like a byte count stays text.
    let sql = "SELECT srcaddr, bytes, packets, sum(bytes) OVER () AS total_bytes, \
               CAST(bytes AS VARCHAR) AS text_bytes FROM flows ORDER BY bytes";
    let with = |format: &str, human: bool| {
        let mut args = vec!["query", sql, TWO_RECORDS, "-q", "-o", format];
        if human {
            args.push("--human");
        }
        let (code, out, err) = run(&args, "");
        assert_eq!(code, Some(0), "{format}: {err}");
        out
    };
    assert_eq!(
        with("table", true),
        "+----------+----------+---------+-------------+------------+\n\
         | srcaddr  |    bytes | packets | total_bytes | text_bytes |\n\
         +----------+----------+---------+-------------+------------+\n\
         | 10.0.1.5 |   1000 B |      10 |    2.93 KiB | 1000       |\n\
         | 10.0.2.9 | 1.95 KiB |       8 |    2.93 KiB | 2000       |\n\
         +----------+----------+---------+-------------+------------+\n"
    );
    assert_eq!(
        with("markdown", true),
        "| srcaddr | bytes | packets | total_bytes | text_bytes |\n\
         |---|---:|---:|---:|---|\n\
         | 10.0.1.5 | 1000 B | 10 | 2.93 KiB | 1000 |\n\
         | 10.0.2.9 | 1.95 KiB | 8 | 2.93 KiB | 2000 |\n"
    );
    for format in ["csv", "json", "ndjson", "tsv"] {
        assert_eq!(with(format, true), with(format, false), "{format}");
    }
    assert_eq!(
        with("csv", true),
        "srcaddr,bytes,packets,total_bytes,text_bytes\n10.0.1.5,1000,10,3000,1000\n\
         10.0.2.9,2000,8,3000,2000\n"
    );
}

#[test]
fn the_shell_toggles_human_byte_counts() {
    let script =
        "SELECT sum(bytes) AS bytes FROM flows;\n\\human\nSELECT sum(bytes) AS bytes FROM flows;\n";
    let (code, out, err) = run(&["shell", TWO_RECORDS, "-q"], script);
    assert_eq!(code, Some(0), "{err}");
    assert!(err.contains("human bytes on"), "{err}");
    assert!(out.contains("|  3000 |"), "{out}");
    assert!(out.contains("| 2.93 KiB |"), "{out}");
}

#[test]
fn the_shell_shows_records_expanded_after_x() {
    let script = "\\x\n\
                  SELECT srcaddr, bytes FROM flows ORDER BY bytes;\n\
                  \\x off\n\
                  SELECT srcaddr, bytes FROM flows ORDER BY bytes;\n\
                  \\x sideways\n";
    let (code, out, err) = run(&["shell", TWO_RECORDS, "-q"], script);
    // The unknown setting fails the script.
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("expanded display on"), "{err}");
    assert!(err.contains("expanded display off"), "{err}");
    assert!(err.contains("\\x sideways: on, off or auto"), "{err}");
    // Names 7 wide, values 8: lines of 7 + 3 + 8 = 18 characters, the title's included.
    assert_eq!(
        out,
        "-[ RECORD 1 ]-----\n\
         srcaddr | 10.0.1.5\n\
         bytes   | 1000\n\
         -[ RECORD 2 ]-----\n\
         srcaddr | 10.0.2.9\n\
         bytes   | 2000\n\
         +----------+-------+\n\
         | srcaddr  | bytes |\n\
         +----------+-------+\n\
         | 10.0.1.5 |  1000 |\n\
         | 10.0.2.9 |  2000 |\n\
         +----------+-------+\n"
    );
}

/// The two records, read back from a binary result file.
fn bytes_of(batches: &[arrow::array::RecordBatch]) -> Vec<(String, u64)> {
    let mut rows = Vec::new();
    for b in batches {
        let addr = b.column(0).as_string::<i32>();
        let bytes = b.column(1).as_primitive::<UInt64Type>();
        for i in 0..b.num_rows() {
            rows.push((addr.value(i).to_string(), bytes.value(i)));
        }
    }
    rows
}

#[test]
fn parquet_and_arrow_files_hold_the_result() {
    let dir = tempfile::tempdir().expect("tempdir");
    let want = vec![
        ("10.0.1.5".to_string(), 1000),
        ("10.0.2.9".to_string(), 2000),
    ];
    let parquet = dir.path().join("r.parquet");
    let arrow_file = dir.path().join("r.arrow");
    for (format, path) in [("parquet", &parquet), ("arrow", &arrow_file)] {
        let out = path.to_str().expect("utf-8 path");
        let (code, stdout, err) = run(
            &[
                "query",
                BY_BYTES,
                TWO_RECORDS,
                "-q",
                "-o",
                format,
                "--out",
                out,
            ],
            "",
        );
        assert_eq!((code, stdout.as_str()), (Some(0), ""), "{format}: {err}");
    }
    let file = std::fs::File::open(&parquet).expect("parquet written");
    let reader = parquet::arrow::arrow_reader::ParquetRecordBatchReaderBuilder::try_new(file)
        .and_then(|b| b.build())
        .expect("readable parquet");
    let batches: Vec<_> = reader.collect::<Result<_, _>>().expect("batches");
    assert_eq!(bytes_of(&batches), want);
    let file = std::fs::File::open(&arrow_file).expect("arrow written");
    let reader = arrow::ipc::reader::FileReader::try_new(file, None).expect("readable arrow");
    let batches: Vec<_> = reader.collect::<Result<_, _>>().expect("batches");
    assert_eq!(bytes_of(&batches), want);
    // Nothing else was left in the folder (no partial file).
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 2);
}

/// A result's Arrow file has the same column types whether the records came from raw logs or
/// from their dataset (which reads text as string views), text as plain Utf8, and the same
/// rows.
#[test]
fn an_arrow_file_has_the_same_types_from_raw_logs_and_a_dataset() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ds = dir.path().join("ds");
    let ds = ds.to_str().expect("utf-8 path");
    let (code, _, err) = run(&["ingest", TWO_RECORDS, "--out", ds, "-q"], "");
    // The file's bad line is quarantined; its two good records are ingested.
    assert_eq!(code, Some(0), "{err}");
    let sql = "SELECT srcaddr, bytes, interface_id, upper(action) AS action FROM flows \
               ORDER BY bytes";
    let read = |input: &str| {
        let out = dir.path().join("r.arrow");
        let out = out.to_str().expect("utf-8 path");
        let (code, _, err) = run(
            &["query", sql, input, "-q", "-o", "arrow", "--out", out],
            "",
        );
        assert!(matches!(code, Some(0 | 1)), "{input}: {err}");
        let file = std::fs::File::open(out).expect("arrow written");
        let reader = arrow::ipc::reader::FileReader::try_new(file, None).expect("arrow file");
        let batches: Vec<_> = reader.collect::<Result<_, _>>().expect("batches");
        let types: Vec<_> = batches[0]
            .schema()
            .fields()
            .iter()
            .map(|f| f.data_type().clone())
            .collect();
        (types, bytes_of(&batches))
    };
    let (raw_types, raw_rows) = read(TWO_RECORDS);
    let (ds_types, ds_rows) = read(ds);
    use arrow::datatypes::DataType::{UInt64, Utf8};
    assert_eq!(raw_types, vec![Utf8, UInt64, Utf8, Utf8]);
    assert_eq!(ds_types, raw_types);
    let want = vec![
        ("10.0.1.5".to_string(), 1000),
        ("10.0.2.9".to_string(), 2000),
    ];
    assert_eq!((raw_rows, ds_rows), (want.clone(), want));
}

#[test]
fn a_failed_query_leaves_no_output_file() {
    let dir = tempfile::tempdir().expect("tempdir");
    let out = dir.path().join("r.csv");
    let (code, _, _) = run(
        &[
            "query",
            "SELECT nosuch FROM flows",
            TWO_RECORDS,
            "-q",
            "--out",
        ],
        "",
    );
    assert_eq!(code, Some(2), "--out needs a value");
    let (code, _, err) = run(
        &[
            "query",
            "SELECT 1; SELECT nosuch FROM flows",
            TWO_RECORDS,
            "-q",
            "--out",
            out.to_str().expect("utf-8"),
        ],
        "",
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("line 1, column 18"), "{err}");
    assert_eq!(std::fs::read_dir(dir.path()).expect("dir").count(), 0);
}

#[test]
fn several_statements_from_a_file_stdin_and_the_argument() {
    let sql =
        "SELECT count(*) AS n FROM flows;\n-- the larger one\nSELECT max(bytes) AS b FROM flows;";
    let want = "n\n2\nb\n2000\n";
    let dir = tempfile::tempdir().expect("tempdir");
    let file = dir.path().join("two.sql");
    std::fs::write(&file, sql).expect("write");
    let file = file.to_str().expect("utf-8");
    for (args, stdin) in [
        (vec!["query", sql, TWO_RECORDS], ""),
        (vec!["query", "-f", file, TWO_RECORDS], ""),
        (vec!["query", "-f", "-", TWO_RECORDS], sql),
        (vec!["query", "-", TWO_RECORDS], sql),
    ] {
        let mut args = args.clone();
        args.extend(["-q", "-o", "csv"]);
        let (code, out, err) = run(&args, stdin);
        assert_eq!((code, out.as_str()), (Some(0), want), "{args:?}: {err}");
    }
}

#[test]
fn errors_point_at_the_mistake() {
    let (code, out, err) = run(
        &[
            "query",
            "SELECT srcaddr,\n  nosuch FROM flows",
            TWO_RECORDS,
            "-q",
        ],
        "",
    );
    assert_eq!((code, out.as_str()), (Some(2), ""));
    assert!(err.contains("line 2, column 3"), "{err}");
    assert!(err.contains("2 |   nosuch FROM flows"), "{err}");
    assert!(err.contains("  ^^^^^^"), "{err}");
    assert!(
        !err.contains("panicked") && !err.contains("backtrace"),
        "{err}"
    );
    let (code, _, err) = run(&["query", "SELECT bytez FROM flows", TWO_RECORDS, "-q"], "");
    assert_eq!(code, Some(2));
    assert!(err.contains("Did you mean 'flows.bytes'"), "{err}");
    let (code, _, err) = run(&["query", "SELEC 1", TWO_RECORDS, "-q"], "");
    assert_eq!(code, Some(2));
    assert!(err.contains("SQL syntax error"), "{err}");
}

#[test]
fn every_writing_statement_is_refused_by_kind() {
    let copy_target = std::env::temp_dir().join("vpcflow-refused-copy.csv");
    let copy = format!("COPY (SELECT 1) TO '{}'", copy_target.display());
    for (sql, kind) in [
        ("CREATE TABLE t AS SELECT 1", "CREATE TABLE"),
        ("CREATE VIEW v AS SELECT 1", "CREATE VIEW"),
        (
            "CREATE EXTERNAL TABLE t STORED AS CSV LOCATION '/tmp/x.csv'",
            "CREATE EXTERNAL TABLE",
        ),
        ("INSERT INTO flows SELECT * FROM flows", "INSERT"),
        (copy.as_str(), "COPY"),
        ("DROP TABLE flows", "DROP TABLE"),
        ("DROP VIEW flows", "DROP VIEW"),
        ("SET datafusion.execution.batch_size = 1", "SET"),
        (
            "SET datafusion.runtime.temp_directory = '/tmp/elsewhere'",
            "SET",
        ),
        ("CREATE DATABASE d", "CREATE DATABASE"),
        ("CREATE SCHEMA s", "CREATE SCHEMA"),
        ("SELECT 1; DROP TABLE flows", "statement 2: DROP TABLE"),
    ] {
        let (code, out, err) = run(&["query", sql, TWO_RECORDS, "-q"], "");
        assert_eq!((code, out.as_str()), (Some(2), ""), "{sql}");
        assert!(err.contains(kind), "{sql}: {err}");
        assert!(err.contains("is refused"), "{sql}: {err}");
        assert!(err.contains("--output parquet --out"), "{sql}: {err}");
    }
    assert!(!copy_target.exists());
    // A file path in FROM is not a way in either: it names no table.
    let (code, _, err) = run(
        &["query", "SELECT * FROM '/etc/hostname'", TWO_RECORDS, "-q"],
        "",
    );
    assert_eq!(code, Some(2));
    assert!(err.contains("not found"), "{err}");
}

#[test]
fn a_named_query_filters_by_its_parameter() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(
        dir.path().join("to-port.sql"),
        "-- to-port: records sent to one port\n-- $port (default 443)\n\
         SELECT count(*) AS n, sum(bytes) AS b FROM flows WHERE dstport = $port\n",
    )
    .expect("write");
    let queries = dir.path().to_str().expect("utf-8");
    // By hand: one record goes to port 443 (1000 bytes), one to 40000 (2000 bytes), none to 22.
    let to_port = |params: &[&str]| {
        let mut args = vec![
            "query",
            "--name",
            "to-port",
            TWO_RECORDS,
            "--queries",
            queries,
        ];
        args.extend(params);
        args.extend(["-q", "-o", "csv"]);
        run(&args, "")
    };
    for (params, want) in [
        (&[][..], "n,b\n1,1000\n"),
        (&["--param", "port=40000"][..], "n,b\n1,2000\n"),
        (&["--param", "port=22"][..], "n,b\n0,\n"),
    ] {
        let (code, out, err) = to_port(params);
        assert_eq!((code, out.as_str()), (Some(0), want), "{params:?}: {err}");
    }
    // The same query is the view report_to_port, bound with the session's parameters.
    let (code, out, err) = run(
        &[
            "query",
            "SELECT n FROM report_to_port",
            TWO_RECORDS,
            "--queries",
            queries,
            "--param",
            "port=22",
            "-q",
            "-o",
            "csv",
        ],
        "",
    );
    assert_eq!((code, out.as_str()), (Some(0), "n\n0\n"), "{err}");
    // A parameter the query does not have is an error, not silently ignored.
    let (code, _, err) = to_port(&["--param", "prot=1"]);
    assert_eq!(code, Some(2));
    assert!(err.contains("--param prot"), "{err}");
}

#[test]
fn a_shipped_report_filters_by_its_parameter() {
    // idle-endpoints marks endpoints under low_traffic_bytes as low traffic: raising the
    // threshold can only add rows, and a threshold of 1 byte leaves only idle endpoints.
    let rows = |threshold: &str| -> Vec<String> {
        let (code, out, err) = run(
            &[
                "query",
                "--name",
                "idle-endpoints",
                "sample-logs/AWSLogs",
                "--inventory",
                "sample-logs/inventory",
                "--param",
                &format!("low_traffic_bytes={threshold}"),
                "-q",
                "-o",
                "ndjson",
            ],
            "",
        );
        assert_eq!(code, Some(0), "{err}");
        out.lines().map(str::to_string).collect()
    };
    let (low, high) = (rows("1"), rows("1000000000000"));
    assert!(low.len() < high.len(), "{low:?} vs {high:?}");
    assert!(low.iter().all(|r| high.contains(r)), "{low:?} vs {high:?}");
    assert!(low.iter().all(|r| r.contains("idle")), "{low:?}");
}

#[test]
fn timing_goes_to_stderr() {
    let (code, out, err) = run(
        &[
            "query",
            "SELECT 1 AS one",
            TWO_RECORDS,
            "-q",
            "-o",
            "csv",
            "--timing",
        ],
        "",
    );
    assert_eq!((code, out.as_str()), (Some(0), "one\n1\n"));
    assert!(
        err.starts_with("1 row in ") && err.trim_end().ends_with(" s"),
        "{err}"
    );
}

#[test]
fn explain_analyze_shows_metrics() {
    let (code, out, err) = run(
        &[
            "query",
            "EXPLAIN ANALYZE SELECT count(*) FROM flows",
            TWO_RECORDS,
            "-q",
            "-o",
            "csv",
        ],
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    assert!(out.contains("output_rows="), "{out}");
}

#[test]
fn the_shell_reads_a_script_from_stdin() {
    let script = "\\d\n\
                  \\d flows\n\
                  SELECT srcaddr,\n  bytes\n FROM flows ORDER BY bytes;\n\
                  \\o csv\n\
                  SELECT nosuch FROM flows;\n\
                  SELECT sum(bytes) AS total FROM flows; -- after an error the shell goes on\n\
                  \\q\n\
                  SELECT 'never run' AS after_quit;\n";
    let (code, out, err) = run(&["shell", TWO_RECORDS, "-q"], script);
    // A script with a failed statement exits 2, like `query`.
    assert_eq!(code, Some(2), "{err}");
    assert!(err.contains("No field named nosuch"), "{err}");
    // \d lists flows; \d flows gives each flow-log field's meaning from the field registry.
    assert!(out.contains("| flows "), "{out}");
    assert!(
        out.contains("interface_id") && out.contains("Network interface (eni-...)"),
        "{out}"
    );
    // The multi-line statement ran as one, as a table; then CSV after \o csv.
    assert!(out.contains("| 10.0.2.9 |  2000 |"), "{out}");
    assert!(out.ends_with("total\n3000\n"), "{out}");
    assert!(!out.contains("never run"), "{out}");
}

/// The shell over the sample estate with its inventory, printing CSV, running `script`.
fn sample_shell(script: &str) -> (Option<i32>, String, String) {
    run(
        &[
            "shell",
            "sample-logs/AWSLogs",
            "--inventory",
            "sample-logs/inventory",
            "-q",
            "-o",
            "csv",
        ],
        script,
    )
}

#[test]
fn the_shell_knows_the_inventory_and_the_functions() {
    let script = "\\d flows_classified\n\\df\nSELECT count(*) AS n FROM report_idle_endpoints WHERE false;\n";
    let (code, out, err) = sample_shell(script);
    assert_eq!(code, Some(0), "{err}");
    assert!(
        out.contains("traffic_class,VARCHAR,interface_endpoint | gateway_endpoint"),
        "{out}"
    );
    assert!(out.contains("ip_in_cidr,"), "{out}");
    assert!(out.ends_with("n\n0\n"), "{out}");
}

#[test]
fn the_table_fits_the_width_and_says_what_it_left_out() {
    let out = vpcflow()
        .args([
            "query",
            "SELECT * FROM flows ORDER BY bytes",
            TWO_RECORDS,
            "-q",
        ])
        .args(["--max-rows", "1"])
        .env("COLUMNS", "60")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(0));
    let text = String::from_utf8_lossy(&out.stdout);
    for line in text.lines().filter(|l| l.starts_with(['+', '|'])) {
        assert!(line.chars().count() <= 60, "{line}");
    }
    // Header and one record.
    assert_eq!(
        text.lines().filter(|l| l.starts_with('|')).count(),
        2,
        "{text}"
    );
    assert!(text.contains("2 rows in all, 1 not shown"), "{text}");
    assert!(text.contains("columns not shown"), "{text}");
}

/// What the Python `script` (with DuckDB and pyarrow) prints as JSON about the dataset `ds`.
fn readers(script: &str, ds: &str) -> serde_json::Value {
    let out = std::process::Command::new(python(&["duckdb", "pyarrow.dataset"]))
        .args(["-c", script, ds])
        .output()
        .expect("python runs");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    serde_json::from_slice(&out.stdout).expect("json")
}

const READERS: &str = r#"
import json, sys
import duckdb, pyarrow.compute as pc, pyarrow.dataset as ds
root = sys.argv[1]
con = duckdb.connect()
files = f"read_parquet('{root}/flows/*/*.parquet', hive_partitioning = true)"
n, b, enis, first, last = con.execute(
    f'SELECT count(*), sum(bytes), count(DISTINCT interface_id), min(start), max("end") FROM {files}'
).fetchone()
days = con.execute(
    f"SELECT CAST(date AS VARCHAR), count(*) FROM {files} GROUP BY 1 ORDER BY 1").fetchall()
data = ds.dataset(f"{root}/flows", format="parquet", partitioning="hive")
table = data.to_table(columns=["bytes"])
print(json.dumps({
    "duckdb": {"n": n, "b": int(b), "enis": enis, "first": first, "last": last,
               "days": [[d, c] for d, c in days]},
    "pyarrow": {"n": data.count_rows(), "b": pc.sum(table["bytes"]).as_py()},
    "columns": [f.name for f in data.schema if f.name != "date"],
}))
"#;

#[test]
fn athena_ddl_and_real_readers_agree_with_vpcflow() {
    let dir = tempfile::tempdir().expect("tempdir");
    let ds = dir.path().join("ds");
    let ds_str = ds.to_str().expect("utf-8");
    let (code, _, err) = run(
        &["ingest", "sample-logs/AWSLogs", "--out", ds_str, "-q"],
        "",
    );
    assert_eq!(code, Some(0), "{err}");

    let readers = readers(READERS, ds_str);

    let query = |sql: &str| -> serde_json::Value {
        let (code, out, err) = run(&["query", sql, ds_str, "-o", "json"], "");
        assert_eq!(code, Some(0), "{err}");
        serde_json::from_str(&out).expect("json")
    };
    let totals = &query(
        "SELECT count(*) AS n, sum(bytes) AS b, count(DISTINCT interface_id) AS enis, \
         min(CAST(start AS BIGINT)) AS first, max(CAST(\"end\" AS BIGINT)) AS last FROM flows",
    )[0];
    let duck = &readers["duckdb"];
    for key in ["n", "b", "enis", "first", "last"] {
        assert_eq!(duck[key], totals[key], "duckdb {key}");
    }
    assert_eq!(readers["pyarrow"]["n"], totals["n"]);
    assert_eq!(readers["pyarrow"]["b"], totals["b"]);
    let days: Vec<serde_json::Value> =
        query("SELECT CAST(date AS VARCHAR) AS d, count(*) AS n FROM flows GROUP BY 1 ORDER BY 1")
            .as_array()
            .expect("rows")
            .iter()
            .map(|r| serde_json::json!([r["d"], r["n"]]))
            .collect();
    assert_eq!(duck["days"], serde_json::Value::Array(days));

    // The statement declares exactly the columns a Parquet reader finds, partitioned by date.
    let (code, ddl, err) = run(
        &["athena-ddl", ds_str, "--location", "s3://bucket/vpcflow/"],
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    let declared: Vec<&str> = ddl
        .lines()
        .filter_map(|l| l.strip_prefix("  `")?.split('`').next())
        .collect();
    assert_eq!(serde_json::json!(declared), readers["columns"]);
    assert!(ddl.contains("PARTITIONED BY (`date` string)"), "{ddl}");
    assert!(
        ddl.contains("LOCATION 's3://bucket/vpcflow/flows/'"),
        "{ddl}"
    );
    assert!(
        ddl.contains("'storage.location.template' = 's3://bucket/vpcflow/flows/date=${date}/'"),
        "{ddl}"
    );
    let first_day = duck["days"][0][0].as_str().expect("a day");
    assert!(
        ddl.contains(&format!("'projection.date.range' = '{first_day},NOW'")),
        "{ddl}"
    );
    let (code, _, err) = run(&["athena-ddl", ds_str, "--location", "/local/path"], "");
    assert_eq!(code, Some(2));
    assert!(err.contains("expected s3://bucket/prefix"), "{err}");
}

#[test]
fn the_shell_on_a_terminal_completes_continues_and_cancels() {
    let dir = tempfile::tempdir().expect("tempdir");
    let history = dir.path().join("history");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vpcflow"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["shell", TWO_RECORDS, "-q", "--history"])
        .arg(&history);
    let mut shell = rexpect::session::spawn_command(cmd, Some(30_000)).expect("a terminal");
    shell.exp_string("vpcflow> ").expect("prompt");
    // Tab completes the column; the statement goes on over a second line until `;`.
    shell.send("SELECT sum(byt\t").expect("send");
    shell.flush().expect("sent");
    shell.exp_string("bytes").expect("completed");
    shell.send_line(") AS total").expect("send");
    shell.exp_string("-> ").expect("continuation prompt");
    shell.send_line("FROM flows;").expect("send");
    shell.exp_string("3000").expect("the sum of both records");
    shell.exp_string("vpcflow> ").expect("prompt");
    // Ctrl-C stops a statement that would run for hours, and the shell goes on.
    shell
        .send_line("SELECT sum(value) FROM generate_series(1, 100000000000);")
        .expect("send");
    std::thread::sleep(std::time::Duration::from_millis(500));
    shell.send_control('c').expect("ctrl-c");
    shell.exp_string("cancelled").expect("cancelled");
    shell.exp_string("vpcflow> ").expect("prompt");
    shell.send_line("SELECT 6 * 7 AS answer;").expect("send");
    shell.exp_string("42").expect("answer");
    shell.send_line("\\q").expect("send");
    shell.exp_eof().expect("the shell ends");
    let saved = std::fs::read_to_string(&history).expect("history saved");
    assert!(
        saved.contains("SELECT sum(bytes) AS total FROM flows;"),
        "{saved}"
    );
}

#[test]
fn the_shell_on_a_terminal_toggles_expanded_display() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_vpcflow"));
    cmd.current_dir(env!("CARGO_MANIFEST_DIR"))
        .args(["shell", TWO_RECORDS, "-q", "--history"])
        .arg(dir.path().join("history"));
    let mut shell = rexpect::session::spawn_command(cmd, Some(30_000)).expect("a terminal");
    shell.exp_string("vpcflow> ").expect("prompt");
    shell.send_line("\\?").expect("send");
    shell.exp_string("\\x [MODE]").expect("help lists \\x");
    shell.exp_string("vpcflow> ").expect("prompt");
    shell.send_line("\\x").expect("send");
    shell.exp_string("expanded display on").expect("on");
    shell.exp_string("vpcflow> ").expect("prompt");
    shell
        .send_line("SELECT srcaddr, bytes FROM flows ORDER BY bytes;")
        .expect("send");
    shell.exp_string("-[ RECORD 1 ]").expect("first record");
    shell.exp_string("srcaddr | 10.0.1.5").expect("its address");
    shell.exp_string("-[ RECORD 2 ]").expect("second record");
    shell.exp_string("bytes   | 2000").expect("its bytes");
    shell.exp_string("vpcflow> ").expect("prompt");
    shell.send_line("\\x").expect("send");
    shell.exp_string("expanded display off").expect("off");
    shell.exp_string("vpcflow> ").expect("prompt");
    shell
        .send_line("SELECT sum(bytes) AS total FROM flows;")
        .expect("send");
    shell.exp_string("| total |").expect("a table again");
    shell.exp_string("|  3000 |").expect("its sum");
    shell.exp_string("vpcflow> ").expect("prompt");
    shell.send_line("\\q").expect("send");
    shell.exp_eof().expect("the shell ends");
}

const NULL_DATES: &str = r#"
import json, sys
import duckdb, pyarrow.compute as pc, pyarrow.dataset as ds
root = sys.argv[1]
files = f"read_parquet('{root}/flows/*/*.parquet', hive_partitioning = true)"
duck = duckdb.connect().execute(
    f"SELECT CAST(date AS VARCHAR), count(*), sum(bytes) FROM {files} GROUP BY 1 ORDER BY 1 NULLS LAST"
).fetchall()
table = ds.dataset(f"{root}/flows", format="parquet", partitioning="hive").to_table()
print(json.dumps({
    "duckdb": [[d, n, int(b)] for d, n, b in duck],
    "pyarrow_null_dates": table["date"].null_count,
}))
"#;

#[test]
fn a_record_without_start_has_no_date_for_every_reader() {
    // Two records of a custom format without `start` (in a folder of 2024-06-02, a date the
    // records may not belong to) and one v2 record of 2024-06-01.
    let dir = tempfile::tempdir().expect("tempdir");
    let day = dir
        .path()
        .join("in/AWSLogs/123456789010/vpcflowlogs/us-east-1/2024/06/02");
    std::fs::create_dir_all(&day).expect("mkdir");
    std::fs::write(
        day.join("no-start.log"),
        "version account-id interface-id srcaddr dstaddr srcport dstport protocol packets bytes action log-status\n\
         2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.6 443 49152 6 10 100 ACCEPT OK\n\
         2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.6 443 49153 6 10 200 ACCEPT OK\n",
    )
    .expect("write");
    std::fs::write(
        day.join("v2.log"),
        "2 123456789010 eni-0a1b2c3d4e5f60718 10.0.1.5 10.0.2.6 443 49152 6 10 1000 1717243200 1717243260 ACCEPT OK\n",
    )
    .expect("write");
    let ds = dir.path().join("ds");
    let ds_str = ds.to_str().expect("utf-8");
    let input = dir.path().join("in");
    let (code, _, err) = run(
        &[
            "ingest",
            input.to_str().expect("utf-8"),
            "--out",
            ds_str,
            "-q",
        ],
        "",
    );
    assert_eq!(code, Some(0), "{err}");
    let mut partitions: Vec<String> = std::fs::read_dir(ds.join("flows"))
        .expect("flows")
        .map(|e| e.expect("entry").file_name().to_string_lossy().into_owned())
        .collect();
    partitions.sort();
    assert_eq!(
        partitions,
        ["date=2024-06-01", "date=__HIVE_DEFAULT_PARTITION__"]
    );

    let query = |sql: &str, extra: &[&str]| -> serde_json::Value {
        let mut args = vec!["query", sql, ds_str, "-o", "json"];
        args.extend_from_slice(extra);
        let (code, out, err) = run(&args, "");
        assert_eq!(code, Some(0), "{err}");
        serde_json::from_str(&out).expect("json")
    };
    let days = query(
        "SELECT CAST(date AS VARCHAR) AS d, count(*) AS n, sum(bytes) AS b FROM flows \
         GROUP BY 1 ORDER BY 1 NULLS LAST",
        &[],
    );
    assert_eq!(
        days,
        // JSON output leaves null values out.
        serde_json::json!([{"d": "2024-06-01", "n": 1, "b": 1000}, {"n": 2, "b": 300}])
    );
    let count = |sql: &str, extra: &[&str]| query(sql, extra)[0]["n"].clone();
    assert_eq!(
        count(
            "SELECT count(*) AS n FROM flows WHERE date = DATE '2024-06-01'",
            &[]
        ),
        1
    );
    assert_eq!(
        count(
            "SELECT count(*) AS n FROM flows WHERE date = DATE '2024-06-02'",
            &[]
        ),
        0
    );
    assert_eq!(
        count("SELECT count(*) AS n FROM flows WHERE date IS NULL", &[]),
        2
    );
    // A window keeps records without times (they may belong to it), and no other day's.
    let window = [
        "--since",
        "2025-01-01T00:00:00Z",
        "--until",
        "2025-01-02T00:00:00Z",
    ];
    assert_eq!(count("SELECT count(*) AS n FROM flows", &window), 2);

    // DuckDB and pyarrow read the partition as a null date.
    let readers = readers(NULL_DATES, ds_str);
    assert_eq!(
        readers["duckdb"],
        serde_json::json!([["2024-06-01", 1, 1000], [null, 2, 300]])
    );
    assert_eq!(readers["pyarrow_null_dates"], 2);
}

/// `\df NAME` lists the functions whose name contains NAME; `\o` alone says the format.
#[test]
fn the_shell_filters_functions_and_says_its_format() {
    let script = "\\df cidr\n\\o\n\\o csv\n\\o\n\\df nosuchfunction\n";
    let (code, out, err) = run(&["shell", TWO_RECORDS, "-q", "-o", "csv"], script);
    // The unknown function is a failed command: exit 2, like a failed statement.
    assert_eq!(code, Some(2), "{err}");
    let names: Vec<&str> = out
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').next())
        .collect();
    assert!(names.contains(&"ip_in_cidr"), "{out}");
    assert!(names.iter().all(|n| n.contains("cidr")), "{out}");
    assert!(!names.contains(&"usd"), "{out}");
    assert_eq!(err.matches("output csv").count(), 2, "{err}");
    assert!(
        err.contains("\\df nosuchfunction: no function's name contains it"),
        "{err}"
    );
}

/// A table cut to fit says how to see the rest with what the shell takes, not with options of
/// the command line.
#[test]
fn the_shell_says_how_to_see_what_a_table_left_out() {
    let out = crate::common::vpcflow()
        .args(["shell", TWO_RECORDS, "-q"])
        .env("COLUMNS", "40")
        .write_stdin("SELECT * FROM flows;\n")
        .output()
        .expect("runs");
    let text = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{text}");
    assert!(
        text.contains("columns not shown") && text.contains("`\\o csv` shows them"),
        "{text}"
    );
    assert!(!text.contains("--output"), "{text}");
}

/// `\d` gives SQL type names, and flow-log meanings only to `flows` and `flows_classified`:
/// an inventory table's `vpc_id` is not "the VPC of the network interface".
#[test]
fn the_shell_describes_each_table_with_its_own_meanings() {
    let (code, out, err) = sample_shell("\\d flows\n\\d vpcs\n");
    assert_eq!(code, Some(0), "{err}");
    let row = |name: &str| -> Vec<String> {
        out.lines()
            .filter(|l| l.starts_with(&format!("{name},")))
            .map(str::to_string)
            .collect()
    };
    assert!(
        row("bytes")
            .iter()
            .any(|r| r.starts_with("bytes,BIGINT UNSIGNED,")),
        "{out}"
    );
    assert!(
        row("start")
            .iter()
            .any(|r| r.starts_with("start,TIMESTAMP WITH TIME ZONE,")),
        "{out}"
    );
    let vpc = row("vpc_id");
    assert_eq!(vpc.len(), 2, "{out}");
    assert!(
        vpc[0].starts_with("vpc_id,VARCHAR,VPC of the network interface"),
        "{out}"
    );
    assert_eq!(vpc[1], "vpc_id,VARCHAR,", "{out}");
    assert!(
        !out.contains("Utf8") && !out.contains("Dictionary"),
        "{out}"
    );
}
