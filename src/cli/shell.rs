//! `vpcflow shell`: an interactive SQL prompt over the same tables as `vpcflow query`.
//!
//! On a terminal: line editing, a history file, tab completion of tables, columns and
//! functions, statements over several lines until `;`, and Ctrl-C cancelling the running
//! statement (at the prompt it clears the statement being typed). From a pipe or file the
//! shell reads statements and meta-commands without a prompt, so scripts can drive it.

use std::collections::BTreeSet;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;

use arrow::array::{AsArray, BooleanArray, RecordBatch, StringArray};
use arrow::compute::filter_record_batch;
use arrow::datatypes::{DataType, Field, Schema};
use clap::Args;
use datafusion::prelude::SessionContext;
use rustyline::completion::{Completer, Pair};
use rustyline::error::ReadlineError;
use rustyline::highlight::Highlighter;
use rustyline::hint::Hinter;
use rustyline::history::DefaultHistory;
use rustyline::validate::Validator;
use rustyline::{CompletionType, Config, Context, Editor, Helper};

use super::common::{
    ClusterArgs, InputArgs, Opened, Outcome, OutputArgs, TableArgs, finish, open_session, run_sql,
    runtime,
};
use crate::error::{Error, Result};
use crate::ingest::fields::FIELDS;
use crate::ingest::format::{DATE_COLUMN, SOURCE_COLUMN};
use crate::ingest::parallel::RunOptions;
use crate::report::{Expanded, Format, Renderer, TableLimits};
use crate::sql::queries::classified_columns;
use crate::sql::session::{CLASSIFIED, JobLimit};
use crate::sql::udf::docs;
use crate::sql::udf::docs_batch;

/// Arguments of `vpcflow shell`.
#[derive(Debug, Args)]
#[command(after_help = SHELL_HELP)]
pub struct ShellArgs {
    /// What to read.
    #[command(flatten)]
    pub input: InputArgs,
    /// Inventory, parameters and your own named queries.
    #[command(flatten)]
    pub tables: TableArgs,
    /// Output options (`\o FORMAT`, `\timing` and `\human` change them in the shell).
    #[command(flatten)]
    pub output: OutputArgs,
    /// The history file (default: $VPCFLOW_HISTORY, else ~/.vpcflow_history).
    #[arg(long, value_name = "FILE")]
    pub history: Option<PathBuf>,
    /// Where the statements run.
    #[command(flatten)]
    pub cluster: ClusterArgs,
}

const SHELL_HELP: &str = "Statements end with `;` and may span lines. Meta-commands:\n  \
\\d            tables and views\n  \
\\d NAME       columns of NAME, with the meaning of each flow-log field\n  \
\\df [NAME]    vpcflow's SQL functions (those whose name contains NAME)\n  \
\\o [FORMAT]   output format (table, csv, tsv, json, ndjson, markdown); alone: the current one\n  \
\\timing       print each statement's time and rows (again: stop)\n  \
\\human        byte counts in tables as 1.50 GiB (again: as numbers)\n  \
\\x [MODE]     expanded display: each row a block of `column | value` lines; MODE on,\n                \
off or auto (when a table is wider than the terminal); alone: on, or off again\n  \
\\q            quit (or Ctrl-D)\n\
Ctrl-C cancels a running statement.";

/// The SQL name of a column's type, as `CAST(... AS type)` takes it (dictionary and view
/// encodings are how a column is stored, not its type).
fn sql_type(t: &DataType) -> String {
    match t {
        DataType::Utf8 | DataType::LargeUtf8 | DataType::Utf8View => "VARCHAR".into(),
        DataType::Dictionary(_, value) => sql_type(value),
        DataType::Boolean => "BOOLEAN".into(),
        DataType::Int8 => "TINYINT".into(),
        DataType::Int16 => "SMALLINT".into(),
        DataType::Int32 => "INT".into(),
        DataType::Int64 => "BIGINT".into(),
        DataType::UInt8 => "TINYINT UNSIGNED".into(),
        DataType::UInt16 => "SMALLINT UNSIGNED".into(),
        DataType::UInt32 => "INT UNSIGNED".into(),
        DataType::UInt64 => "BIGINT UNSIGNED".into(),
        DataType::Float32 => "REAL".into(),
        DataType::Float64 => "DOUBLE".into(),
        DataType::Date32 | DataType::Date64 => "DATE".into(),
        DataType::Timestamp(_, Some(_)) => "TIMESTAMP WITH TIME ZONE".into(),
        DataType::Timestamp(_, None) => "TIMESTAMP".into(),
        DataType::Decimal128(p, s) | DataType::Decimal256(p, s) => format!("DECIMAL({p}, {s})"),
        DataType::List(f) | DataType::LargeList(f) => format!("{}[]", sql_type(f.data_type())),
        other => other.to_string(),
    }
}

/// Runs the shell until `\q` or the end of input.
pub fn run(args: ShellArgs, opts: RunOptions) -> Result<Outcome> {
    if args.output.format().is_binary() {
        return Err(Error::Usage(format!(
            "--output {:?} is binary: use `vpcflow query --out FILE`",
            args.output.format()
        )));
    }
    let Opened {
        rt,
        ctx,
        job_limit,
        totals,
        reporter,
    } = open_session(
        &args.input,
        &args.tables,
        &args.cluster,
        (&args.tables.user_queries()?, &args.tables.params.values()?),
        opts,
    )?;
    let mut shell = Shell {
        ctx,
        job_limit,
        rt,
        opts,
        watch: tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| Error::Data(format!("cannot start the shell: {e}")))?,
        output: args.output,
        expanded: Expanded::Off,
        interactive: std::io::stdin().is_terminal(),
        failed: 0,
    };
    if shell.interactive {
        shell.interact(args.history)?;
    } else {
        shell.script()?;
    }
    // Work cancelled with Ctrl-C may still be finishing; it does not hold up the exit.
    shell.rt.shutdown_background();
    let outcome = finish(&reporter, &totals, &args.input)?;
    Ok(if shell.failed > 0 {
        Outcome::Failed
    } else {
        outcome
    })
}

/// The session and its settings.
struct Shell {
    ctx: SessionContext,
    /// On a cluster, how long one statement's job may take.
    job_limit: Option<JobLimit>,
    rt: tokio::runtime::Runtime,
    opts: RunOptions,
    /// Waits for a statement or Ctrl-C, on the shell's own thread.
    watch: tokio::runtime::Runtime,
    output: OutputArgs,
    /// Expanded display (`\\x`).
    expanded: Expanded,
    interactive: bool,
    /// Statements or commands of a script that failed.
    failed: usize,
}

/// What one line did to the shell.
enum Step {
    /// Go on reading.
    More,
    /// `\q`.
    Quit,
}

impl Shell {
    /// The terminal loop: line editing, history, completion.
    fn interact(&mut self, history: Option<PathBuf>) -> Result<()> {
        let rl_error = |e: ReadlineError| Error::Data(format!("terminal: {e}"));
        let config = Config::builder()
            .completion_type(CompletionType::List)
            .auto_add_history(false)
            .build();
        let mut editor: Editor<Completion, DefaultHistory> =
            Editor::with_config(config).map_err(rl_error)?;
        editor.set_helper(Some(Completion {
            words: self.rt.block_on(words(&self.ctx)),
        }));
        let history = history
            .or_else(|| std::env::var_os("VPCFLOW_HISTORY").map(PathBuf::from))
            .or_else(|| {
                std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".vpcflow_history"))
            });
        if let Some(file) = &history {
            // A first run has no history yet.
            let _ = editor.load_history(file);
        }
        eprintln!("vpcflow shell: \\d lists tables, \\? helps, \\q quits; statements end with ;");
        let (mut statement, mut entry) = (String::new(), String::new());
        loop {
            let prompt = if statement.is_empty() {
                "vpcflow> "
            } else {
                "      -> "
            };
            match editor.readline(prompt) {
                Ok(line) => {
                    entry.push_str(line.trim());
                    entry.push(' ');
                    let step = self.line(&mut statement, &line);
                    if statement.is_empty() {
                        // The history keeps whole statements, one entry each.
                        let _ = editor.add_history_entry(entry.trim());
                        entry.clear();
                    }
                    if matches!(step, Step::Quit) {
                        break;
                    }
                }
                Err(ReadlineError::Interrupted) => {
                    statement.clear();
                    entry.clear();
                }
                Err(ReadlineError::Eof) => break,
                Err(e) => return Err(rl_error(e)),
            }
        }
        if let Some(file) = &history
            && let Err(e) = editor.save_history(file)
        {
            eprintln!("warning: history not saved to {}: {e}", file.display());
        }
        Ok(())
    }

    /// Lines from a pipe or file, without prompt; a statement left open at the end runs too.
    fn script(&mut self) -> Result<()> {
        let mut statement = String::new();
        for line in std::io::stdin().lock().lines() {
            let line = line.map_err(|e| Error::io("<stdin>", e))?;
            if matches!(self.line(&mut statement, &line), Step::Quit) {
                return Ok(());
            }
        }
        if !statement.trim().is_empty() {
            self.execute(&statement);
        }
        Ok(())
    }

    /// Takes one line: a meta-command at the start of a statement, else SQL that runs once
    /// a line ends the statement with `;`.
    fn line(&mut self, statement: &mut String, line: &str) -> Step {
        let trimmed = line.trim();
        if statement.trim().is_empty() && trimmed.starts_with('\\') {
            statement.clear();
            return self.meta(trimmed);
        }
        if statement.trim().is_empty() && matches!(trimmed, "quit" | "exit") {
            return Step::Quit;
        }
        statement.push_str(line);
        statement.push('\n');
        if ends_statement(line) {
            let sql = std::mem::take(statement);
            self.execute(&sql);
        }
        Step::More
    }

    /// Runs SQL and prints its results; Ctrl-C on a terminal cancels it.
    fn execute(&mut self, sql: &str) {
        let (ctx, sql, output) = (self.ctx.clone(), sql.to_string(), self.output.clone());
        let job_limit = self.job_limit.clone();
        let limits = TableLimits {
            in_shell: true,
            expanded: self.expanded,
            ..self.output.limits(true)
        };
        // A task of its own, so a statement busy computing can be abandoned at once.
        let task = self.rt.spawn(async move {
            let mut out = std::io::BufWriter::new(std::io::stdout());
            let result = run_sql(&ctx, job_limit.as_ref(), &sql, &output, limits, &mut out).await;
            let _ = out.flush();
            result
        });
        let abort = task.abort_handle();
        let interactive = self.interactive;
        // Ctrl-C is watched from this thread's own runtime: the query's workers may all be
        // busy computing and would not see the signal until the statement ends.
        let result = self.watch.block_on(async {
            tokio::select! {
                r = task => Some(r),
                _ = tokio::signal::ctrl_c(), if interactive => None,
            }
        });
        match result {
            Some(Ok(Ok(()))) => {}
            Some(Ok(Err(e))) => self.fail(&e),
            Some(Err(e)) => self.fail(&Error::Data(format!("the statement stopped: {e}"))),
            None => {
                abort.abort();
                // A step busy computing finishes on the old runtime's threads, in the
                // background; the next statement starts on fresh ones.
                match runtime(self.opts) {
                    Ok(fresh) => std::mem::replace(&mut self.rt, fresh).shutdown_background(),
                    Err(e) => self.fail(&e),
                }
                eprintln!("cancelled");
            }
        }
    }

    /// A meta-command.
    fn meta(&mut self, command: &str) -> Step {
        let mut words = command.split_whitespace();
        let name = words.next().unwrap_or_default();
        let arg = words.next();
        let result = match (name, arg) {
            ("\\q" | "\\quit", _) => return Step::Quit,
            ("\\?" | "\\h" | "\\help", _) => {
                println!("{SHELL_HELP}");
                Ok(())
            }
            ("\\d", None) => self.show_sql(
                "SELECT table_name AS name, lower(table_type) AS kind FROM \
                 information_schema.tables WHERE table_schema = 'public' ORDER BY table_name",
            ),
            ("\\d", Some(table)) => self.describe(table),
            ("\\df", name) => Self::functions(name).and_then(|b| self.show(&b)),
            ("\\timing", _) => {
                self.output.timing = !self.output.timing;
                eprintln!("timing {}", if self.output.timing { "on" } else { "off" });
                Ok(())
            }
            ("\\x", setting) => self.set_expanded(setting),
            ("\\human", _) => {
                self.output.human = !self.output.human;
                eprintln!(
                    "human bytes {}",
                    if self.output.human { "on" } else { "off" }
                );
                Ok(())
            }
            ("\\o", None) => {
                let format = format!("{:?}", self.output.format()).to_lowercase();
                eprintln!("output {format} (\\o FORMAT changes it)");
                Ok(())
            }
            ("\\o", Some(format)) => match <Format as clap::ValueEnum>::from_str(format, true) {
                Ok(f) if !f.is_binary() => {
                    self.output.output = Some(f);
                    Ok(())
                }
                _ => Err(Error::Usage(format!(
                    "\\o {format}: one of table, csv, tsv, json, ndjson, markdown \
                     (binary formats need `vpcflow query --out`)"
                ))),
            },
            _ => Err(Error::Usage(format!(
                "{command}: unknown command; \\? lists them"
            ))),
        };
        if let Err(e) = result {
            self.fail(&e);
        }
        Step::More
    }

    /// `\\x`: expanded display as `setting` says (`on`, `off`, `auto`); alone, on, or off when
    /// it was on.
    fn set_expanded(&mut self, setting: Option<&str>) -> Result<()> {
        self.expanded = match setting.map(str::to_ascii_lowercase).as_deref() {
            None if self.expanded == Expanded::Off => Expanded::On,
            None | Some("off") => Expanded::Off,
            Some("on") => Expanded::On,
            Some("auto") => Expanded::Auto,
            Some(other) => {
                return Err(Error::Usage(format!("\\x {other}: on, off or auto")));
            }
        };
        let now = format!("{:?}", self.expanded).to_lowercase();
        eprintln!("expanded display {now}");
        Ok(())
    }

    /// vpcflow's SQL functions, or those whose name contains `name` (any case).
    fn functions(name: Option<&str>) -> Result<RecordBatch> {
        let all = docs_batch()?;
        let Some(name) = name.map(str::to_lowercase) else {
            return Ok(all);
        };
        let names = all.column(0).as_string::<i32>();
        let keep: BooleanArray = names
            .iter()
            .map(|n| Some(n.is_some_and(|n| n.to_lowercase().contains(&name))))
            .collect();
        if keep.true_count() == 0 {
            return Err(Error::Usage(format!(
                "\\df {name}: no function's name contains it; \\df lists them all"
            )));
        }
        Ok(filter_record_batch(&all, &keep)?)
    }

    /// The columns of a table or view: name, SQL type, and for `flows` and `flows_classified`
    /// the meaning of each column.
    fn describe(&mut self, table: &str) -> Result<()> {
        let provider = self
            .rt
            .block_on(self.ctx.table_provider(table))
            .map_err(|_| {
                Error::Usage(format!(
                    "\\d {table}: no such table or view; \\d lists them"
                ))
            })?;
        let schema = provider.schema();
        let is_classified = table.eq_ignore_ascii_case(CLASSIFIED);
        let is_flows = is_classified || table.eq_ignore_ascii_case("flows");
        let classified = if is_classified {
            classified_columns()
        } else {
            Vec::new()
        };
        let meaning = |name: &str| -> String {
            if !is_flows {
                return String::new();
            }
            if let Some(f) = FIELDS.iter().find(|f| f.name == name) {
                return f.doc.to_string();
            }
            if let Some((_, doc)) = classified.iter().find(|(n, _)| *n == name) {
                return doc.clone();
            }
            match name {
                n if n == DATE_COLUMN => {
                    "UTC date of the record's start (the dataset's partition; null without a start)"
                        .into()
                }
                n if n == SOURCE_COLUMN => "the file or object the record was read from".into(),
                _ => String::new(),
            }
        };
        let fields = schema.fields();
        let column = |values: Vec<String>| Arc::new(StringArray::from(values));
        let batch = RecordBatch::try_new(
            Arc::new(Schema::new(
                ["column", "type", "meaning"]
                    .map(|n| Field::new(n, DataType::Utf8, false))
                    .to_vec(),
            )),
            vec![
                column(fields.iter().map(|f| f.name().clone()).collect()),
                column(fields.iter().map(|f| sql_type(f.data_type())).collect()),
                column(fields.iter().map(|f| meaning(f.name())).collect()),
            ],
        )?;
        self.show(&batch)
    }

    /// Prints the result of our own SQL.
    fn show_sql(&mut self, sql: &str) -> Result<()> {
        let batches = self
            .rt
            .block_on(async { self.ctx.sql(sql).await?.collect().await })?;
        let Some(first) = batches.first() else {
            return Ok(());
        };
        let batch = arrow::compute::concat_batches(&first.schema(), &batches)?;
        self.show(&batch)
    }

    /// Prints a batch in the current format, fitted like query results.
    fn show(&self, batch: &RecordBatch) -> Result<()> {
        let limits = TableLimits {
            max_rows: None,
            in_shell: true,
            expanded: self.expanded,
            ..self.output.limits(true)
        };
        let mut out = std::io::BufWriter::new(std::io::stdout());
        let mut r = Renderer::with_limits(&mut out, self.output.format(), batch.schema(), limits)?;
        r.write(batch)?;
        r.finish()?;
        out.flush().map_err(|e| Error::io("<stdout>", e))
    }

    /// Reports an error and goes on; a script that had one exits 2 at its end.
    fn fail(&mut self, e: &Error) {
        if !self.interactive {
            self.failed += 1;
        }
        eprintln!("error: {e}");
    }
}

/// Whether a line ends a statement: its last character outside a `--` comment is `;`.
fn ends_statement(line: &str) -> bool {
    let mut quoted = None;
    let mut code_end = line.len();
    let bytes = line.as_bytes();
    for (i, &b) in bytes.iter().enumerate() {
        match (quoted, b) {
            (None, b'\'' | b'"') => quoted = Some(b),
            (Some(q), _) if b == q => quoted = None,
            (None, b'-') if bytes.get(i + 1) == Some(&b'-') => {
                code_end = i;
                break;
            }
            _ => {}
        }
    }
    quoted.is_none() && line[..code_end].trim_end().ends_with(';')
}

/// Words tab completion offers: tables, their columns, functions, keywords, meta-commands.
async fn words(ctx: &SessionContext) -> Vec<String> {
    let mut words = BTreeSet::new();
    for table in ctx
        .catalog("datafusion")
        .and_then(|c| c.schema("public"))
        .map(|s| s.table_names())
        .unwrap_or_default()
    {
        if let Ok(provider) = ctx.table_provider(table.as_str()).await {
            for field in provider.schema().fields() {
                words.insert(field.name().clone());
            }
        }
        words.insert(table);
    }
    for doc in docs() {
        words.insert(doc.name.to_string());
    }
    for keyword in KEYWORDS {
        words.insert((*keyword).to_string());
    }
    words.into_iter().collect()
}

/// SQL words offered by completion.
const KEYWORDS: &[&str] = &[
    "SELECT",
    "FROM",
    "WHERE",
    "GROUP",
    "BY",
    "ORDER",
    "HAVING",
    "LIMIT",
    "JOIN",
    "LEFT",
    "ON",
    "AND",
    "OR",
    "NOT",
    "IN",
    "IS",
    "NULL",
    "AS",
    "DISTINCT",
    "COUNT",
    "SUM",
    "AVG",
    "MIN",
    "MAX",
    "CASE",
    "WHEN",
    "THEN",
    "ELSE",
    "END",
    "DESC",
    "ASC",
    "WITH",
    "UNION",
    "ALL",
    "EXPLAIN",
    "ANALYZE",
    "DESCRIBE",
    "SHOW",
    "TABLES",
    "COLUMNS",
    "BETWEEN",
    "LIKE",
    "date_trunc",
    "to_timestamp",
    "approx_distinct",
    "approx_percentile_cont",
];

/// Meta-commands offered by completion.
const META: &[&str] = &[
    "\\d", "\\df", "\\o", "\\timing", "\\human", "\\x", "\\q", "\\?",
];

/// Tab completion for the line editor.
struct Completion {
    words: Vec<String>,
}

impl Completer for Completion {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '\\'))
            .map_or(0, |i| i + 1);
        let partial = &before[start..];
        if partial.is_empty() {
            return Ok((pos, Vec::new()));
        }
        let lower = partial.to_lowercase();
        let pair = |w: &str| Pair {
            display: w.to_string(),
            replacement: w.to_string(),
        };
        let candidates = if partial.starts_with('\\') {
            META.iter()
                .filter(|m| m.starts_with(partial))
                .map(|m| pair(m))
                .collect()
        } else {
            self.words
                .iter()
                .filter(|w| w.to_lowercase().starts_with(&lower))
                .map(|w| pair(w))
                .collect()
        };
        Ok((start, candidates))
    }
}

impl Hinter for Completion {
    type Hint = String;
}
impl Highlighter for Completion {}
impl Validator for Completion {}
impl Helper for Completion {}

#[cfg(test)]
mod tests {
    use super::ends_statement;

    #[test]
    fn a_statement_ends_at_a_semicolon_outside_quotes_and_comments() {
        assert!(ends_statement("SELECT 1;"));
        assert!(ends_statement("SELECT 1;  -- done"));
        assert!(ends_statement("  FROM flows ;  "));
        assert!(!ends_statement("SELECT 1"));
        assert!(!ends_statement("SELECT ';"));
        assert!(!ends_statement("SELECT 1 -- not yet;"));
        assert!(ends_statement("SELECT 'a;b';"));
    }
}
