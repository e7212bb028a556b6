//! README's tour runs as written: every command of its first `sh` block, in order, from a
//! scratch folder where `sample-logs/` is the repository's, with the built binary first on
//! `PATH`. Each must exit 0 (1 is allowed only where `--fail-on` asks for it) and print no
//! error, so the tour cannot drift from what the binary accepts.

use std::path::Path;

use crate::common::root;

/// The commands of the tour's code block: comment lines dropped, a command continued while a
/// quote is open or a line ends in `\`.
fn tour_commands(readme: &str) -> Vec<String> {
    let tour = readme
        .split("\n## A tour\n")
        .nth(1)
        .expect("README has a tour");
    let block = tour
        .split("```sh\n")
        .nth(1)
        .and_then(|b| b.split("\n```").next())
        .expect("the tour has an sh block");
    let mut commands = Vec::new();
    let mut current = String::new();
    for line in block.lines() {
        if current.is_empty() && (line.trim().is_empty() || line.trim_start().starts_with('#')) {
            continue;
        }
        current.push_str(line);
        current.push('\n');
        if !open_quote(&current) && !line.ends_with('\\') {
            commands.push(std::mem::take(&mut current));
        }
    }
    assert!(
        current.is_empty(),
        "unfinished command in the tour: {current}"
    );
    commands
}

/// Whether `text` ends inside a quoted string (shell rules: no escapes inside `'…'`, a `#`
/// that starts a word outside quotes starts a comment to the end of its line).
fn open_quote(text: &str) -> bool {
    let mut quote: Option<char> = None;
    let mut escaped = false;
    let mut comment = false;
    let mut word_start = true;
    for c in text.chars() {
        match (quote, c) {
            _ if comment => comment = c != '\n',
            (_, _) if escaped => escaped = false,
            (Some('"') | None, '\\') => escaped = true,
            (None, '#') if word_start => comment = true,
            (None, '"' | '\'') => quote = Some(c),
            (Some(q), c) if c == q => quote = None,
            _ => {}
        }
        word_start = quote.is_none() && c.is_whitespace();
    }
    quote.is_some()
}

#[test]
fn the_tour_is_split_into_its_commands() {
    let text = "```\n## A tour\n```sh\n# a comment\nvpcflow a \"x\ny\" \\\n  z\n\nvpcflow b 'it''s' # it's\nvpcflow c\n```\n";
    let readme = format!("intro\n{}", &text[4..]);
    assert_eq!(
        tour_commands(&readme),
        [
            "vpcflow a \"x\ny\" \\\n  z\n",
            "vpcflow b 'it''s' # it's\n",
            "vpcflow c\n"
        ]
    );
}

#[test]
fn every_command_of_the_tour_runs_as_written() {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README");
    let commands = tour_commands(&readme);
    assert!(commands.len() >= 20, "{} commands", commands.len());
    let dir = tempfile::tempdir().expect("temp dir");
    std::os::unix::fs::symlink(root().join("sample-logs"), dir.path().join("sample-logs"))
        .expect("symlink");
    let bin = Path::new(env!("CARGO_BIN_EXE_vpcflow"));
    let path = std::env::join_paths(
        std::iter::once(bin.parent().expect("bin dir").to_path_buf()).chain(std::env::split_paths(
            &std::env::var_os("PATH").unwrap_or_default(),
        )),
    )
    .expect("PATH");
    for command in &commands {
        let out = std::process::Command::new("bash")
            .args(["-o", "pipefail", "-c", command])
            .current_dir(dir.path())
            .env("PATH", &path)
            .env_remove("COLUMNS")
            .output()
            .expect("bash runs");
        let allowed: &[i32] = if command.contains("--fail-on") {
            &[0, 1]
        } else {
            &[0]
        };
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert!(
            out.status.code().is_some_and(|c| allowed.contains(&c)),
            "{command}exited {:?}\n{stderr}",
            out.status.code()
        );
        assert!(!stderr.contains("error"), "{command}{stderr}");
        assert!(
            !out.stdout.is_empty() || command.contains('>') || command.contains("--out"),
            "{command}printed nothing"
        );
    }
    let audit: serde_json::Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("audit.json")).expect("audit.json"))
            .expect("audit.json is JSON");
    assert!(audit.get("findings").is_some(), "{audit}");
}
