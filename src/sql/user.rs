//! SQL a user types: one or more statements, planned read-only, with errors that point at the
//! place in the SQL and keep DataFusion's suggestions.
//!
//! Nothing a user writes may change data or reach files: DDL (CREATE, DROP, CREATE EXTERNAL
//! TABLE), DML (INSERT, COPY) and statements (SET) are refused after planning, before anything
//! runs, with a message that says how to keep a result instead.

use std::collections::VecDeque;

use datafusion::error::DataFusionError;
use datafusion::execution::context::SQLOptions;
use datafusion::prelude::{DataFrame, SessionContext};
use datafusion::sql::parser::{DFParser, Statement};
use datafusion::sql::sqlparser::dialect::GenericDialect;
use datafusion::sql::sqlparser::parser::ParserError;

use crate::error::{Error, Result};

/// How to keep a result, said wherever a writing statement is refused.
pub const KEEP_RESULTS: &str = "vpcflow SQL is read-only; to keep a result, write it with \
     --output and --out (e.g. --output parquet --out result.parquet)";

/// The statements of `sql`, in order; empty statements (`;;`) are skipped.
pub fn statements(sql: &str) -> Result<VecDeque<Statement>> {
    DFParser::parse_sql_with_dialect(sql, &GenericDialect {}).map_err(|e| located(sql, &e))
}

/// Plans one statement read-only. `sql` is the whole text the statement came from, for the
/// position in messages; `number` its place (from 1) when there are several.
pub async fn plan(
    ctx: &SessionContext,
    statement: Statement,
    sql: &str,
    number: Option<usize>,
) -> Result<DataFrame> {
    let words = leading_keywords(&statement);
    let state = ctx.state();
    let plan = state
        .statement_to_plan(statement)
        .await
        .map_err(|e| located(sql, &e))?;
    let options = SQLOptions::new()
        .with_allow_ddl(false)
        .with_allow_dml(false)
        .with_allow_statements(false);
    if options.verify_plan(&plan).is_err() {
        let which = number.map_or(String::new(), |n| format!("statement {n}: "));
        return Err(Error::Sql(format!(
            "{which}{words} is refused: {KEEP_RESULTS}"
        )));
    }
    Ok(ctx.execute_logical_plan(plan).await?)
}

/// Plans `sql`, which must hold exactly one statement.
pub async fn plan_one(ctx: &SessionContext, sql: &str) -> Result<DataFrame> {
    let mut all = statements(sql)?;
    match (all.pop_front(), all.is_empty()) {
        (Some(statement), true) => plan(ctx, statement, sql, None).await,
        (None, _) => Err(Error::Usage("no SQL statement given".into())),
        (Some(_), false) => Err(Error::Usage(format!(
            "one statement expected, found {}",
            all.len() + 1
        ))),
    }
}

/// The statement's first keywords (`INSERT INTO`, `CREATE EXTERNAL TABLE`, `COPY`), to name
/// it in a refusal.
fn leading_keywords(statement: &Statement) -> String {
    let text = statement.to_string();
    let words: Vec<&str> = text
        .split_whitespace()
        .take_while(|w| w.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        .take(3)
        .collect();
    if words.is_empty() {
        "the statement".to_string()
    } else {
        words.join(" ")
    }
}

/// A SQL error with where it happened: the line of the SQL and a caret under the place, when
/// DataFusion or the parser knows it, then DataFusion's notes and help.
pub fn located(sql: &str, e: &DataFusionError) -> Error {
    let message = match e.find_root() {
        DataFusionError::SQL(parser, _) => {
            let text = match parser.as_ref() {
                ParserError::ParserError(m) | ParserError::TokenizerError(m) => m.clone(),
                ParserError::RecursionLimitExceeded => "statement nested too deeply".to_string(),
            };
            format!("SQL syntax error: {text}")
        }
        _ => e.to_string().trim().to_string(),
    };
    let diagnostic = e.diagnostic();
    let span = diagnostic
        .and_then(|d| d.span)
        .filter(|s| s.start.line > 0)
        .map(|s| {
            let len = if s.end.line == s.start.line && s.end.column > s.start.column {
                s.end.column - s.start.column
            } else {
                1
            };
            (s.start.line, s.start.column, len)
        })
        .or_else(|| parser_position(&message).map(|(l, c)| (l, c, 1)));
    let mut text = without_field_list(&message);
    if let Some((line, column, len)) = span
        && let Some(source) = sql.lines().nth(line.saturating_sub(1) as usize)
    {
        let number = line.to_string();
        let pad = " ".repeat(number.len());
        let indent: String = source
            .chars()
            .take(column.saturating_sub(1) as usize)
            .map(|c| if c == '\t' { '\t' } else { ' ' })
            .collect();
        text.push_str(&format!(
            "\n{pad} --> line {line}, column {column}\n{pad} |\n{number} | {source}\n{pad} | {indent}{}",
            "^".repeat(len.max(1) as usize)
        ));
    }
    if let Some(d) = diagnostic {
        for note in &d.notes {
            text.push_str(&format!("\nnote: {}", note.message));
        }
        for help in &d.helps {
            text.push_str(&format!("\nhelp: {}", help.message));
        }
    }
    Error::Sql(text)
}

/// `message` without the list of every valid field DataFusion appends to an unknown column
/// (flows has about seventy): its "Did you mean" stays.
fn without_field_list(message: &str) -> String {
    match message.find("Valid fields are ") {
        Some(at) => {
            let rest = &message[at..];
            let end = rest.find(".\n").map_or(rest.len(), |e| e + 2);
            let mut text = message[..at].trim_end().to_string();
            text.push_str(" (`\\d TABLE` in the shell or DESCRIBE TABLE lists the columns)");
            text.push_str(rest[end..].trim_end());
            text
        }
        None => message.to_string(),
    }
}

/// The `Line: L, Column: C` the SQL parser puts in its messages.
fn parser_position(message: &str) -> Option<(u64, u64)> {
    let at = message.rfind("Line: ")?;
    let rest = &message[at + "Line: ".len()..];
    let (line, rest) = rest.split_once(", Column: ")?;
    let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some((line.trim().parse().ok()?, column.parse().ok()?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parser_positions_are_read() {
        assert_eq!(
            parser_position(
                "sql parser error: Expected: end of statement, found: x at Line: 2, Column: 14"
            ),
            Some((2, 14))
        );
        assert_eq!(parser_position("no position"), None);
    }

    #[tokio::test]
    async fn errors_point_at_the_sql() {
        let ctx = SessionContext::new();
        let sql = "SELECT 1;\nSELEC 2";
        let err = statements(sql).expect_err("bad keyword").to_string();
        assert!(err.contains("line 2, column 1"), "{err}");
        assert!(err.contains("2 | SELEC 2"), "{err}");
        let err = plan_one(&ctx, "SELECT nope FROM (SELECT 1 AS nop)")
            .await
            .expect_err("unknown column")
            .to_string();
        assert!(err.contains("nope"), "{err}");
    }

    #[tokio::test]
    async fn writing_statements_are_refused_by_name() {
        let ctx = SessionContext::new();
        for (sql, words) in [
            ("CREATE VIEW v AS SELECT 1", "CREATE VIEW"),
            ("SET datafusion.execution.batch_size = 1", "SET"),
        ] {
            let err = plan_one(&ctx, sql).await.expect_err(sql).to_string();
            assert!(err.starts_with(words), "{sql}: {err}");
            assert!(err.contains("--out"), "{err}");
        }
    }
}
