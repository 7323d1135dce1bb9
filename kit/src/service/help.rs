//! What `--help` prints: usage, and the crate's table of environment variables as plain text.

use super::Service;

/// The whole `--help` text.
pub(super) fn usage<C>(service: &Service<C>) -> String {
    let name = service.name;
    format!(
        "{name}: {}\n\nUsage:\n  {name}              run the service\n  {name} healthcheck  exit 0 when the running service answers /healthz\n  {name} fault [CHANGE]  tell the running service to misbehave (needs FAULT_INJECTION=on): {}; none: show\n\nEnvironment:\n{}",
        service.about,
        crate::fault::USAGE,
        plain_table(&format!(
            "{}\n| `TOKIO_WORKER_THREADS` | one per core | runtime threads |",
            service.env_help.trim_end()
        ))
    )
}

/// A Markdown table as aligned plain text for a terminal: no pipes, no rule, no backticks.
fn plain_table(markdown: &str) -> String {
    let rows: Vec<Vec<String>> = markdown
        .lines()
        .filter_map(|line| line.trim().strip_prefix('|'))
        .map(|line| {
            let line = line.strip_suffix('|').unwrap_or(line);
            line.split('|')
                .map(|cell| cell.trim().replace('`', ""))
                .collect::<Vec<_>>()
        })
        .filter(|cells| {
            !cells
                .iter()
                .all(|cell| cell.chars().all(|c| matches!(c, '-' | ':')))
        })
        .collect();
    let columns = rows.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|i| {
            rows.iter()
                .filter_map(|cells| cells.get(i))
                .map(|cell| cell.chars().count())
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut text = String::new();
    for cells in rows {
        let mut line = String::from(" ");
        for (cell, width) in cells.iter().zip(&widths) {
            line.push_str(&format!(" {cell:<width$} "));
        }
        text.push_str(line.trim_end());
        text.push('\n');
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_help_shows_a_markdown_table_as_aligned_text() {
        let markdown = "| variable | default | meaning |\n|---|:--|---|\n| `PORT` | `80` | HTTP port |\n| `RUST_LOG` | `info` | logs |\n";
        assert_eq!(
            plain_table(markdown),
            "  variable  default  meaning\n  PORT      80       HTTP port\n  RUST_LOG  info     logs\n"
        );
    }
}
