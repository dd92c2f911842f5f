//! [`Page`] as GitHub-flavoured Markdown: the same sections as the HTML
//! report, the charts as linked PNGs, the system as a Mermaid flowchart,
//! secondary charts in `<details>`.

use std::fmt::Write as _;

use super::{Page, Table};

/// Escapes text for a Markdown table cell or paragraph: no HTML, no cell
/// breaks, no emphasis.
fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '|' => out.push_str("\\|"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '&' => out.push_str("&amp;"),
            '*' | '_' | '`' | '[' | ']' | '\\' => {
                out.push('\\');
                out.push(c);
            }
            '\n' => out.push(' '),
            _ => out.push(c),
        }
    }
    out
}

/// A path for a Markdown link: spaces and parentheses encoded.
fn link(path: &str) -> String {
    path.replace('%', "%25")
        .replace(' ', "%20")
        .replace('(', "%28")
        .replace(')', "%29")
}

fn table(t: &Table, s: &mut String) {
    let _ = writeln!(
        s,
        "| {} |",
        t.head
            .iter()
            .map(|h| esc(h))
            .collect::<Vec<_>>()
            .join(" | ")
    );
    let _ = writeln!(s, "|{}", "---|".repeat(t.head.len()));
    for row in &t.rows {
        let _ = writeln!(
            s,
            "| {} |",
            row.iter()
                .map(|c| esc(&c.text))
                .collect::<Vec<_>>()
                .join(" | ")
        );
    }
    s.push('\n');
}

/// The page as Markdown.
pub fn render(page: &Page) -> String {
    let mut s = format!("# {}\n\n", esc(&page.title));
    if let Some(note) = &page.incomplete {
        let _ = writeln!(s, "> **Incomplete run**: {}\n", esc(note));
    }
    for (k, v) in &page.facts {
        let _ = writeln!(s, "- **{}**: {}", esc(k), esc(v));
    }
    s.push('\n');
    for w in &page.warnings {
        let _ = writeln!(s, "> warning: {}\n", esc(w));
    }
    s.push_str("## Summary\n\n");
    table(&page.summary, &mut s);
    if !page.summary_note.is_empty() {
        let _ = writeln!(s, "{}\n", esc(&page.summary_note));
    }
    if let Some(d) = &page.topology {
        s.push_str("## System\n\nLayered by dependency; dashed arrows are soft dependencies.\n\n");
        let _ = writeln!(s, "```mermaid\n{}```\n", d.mermaid());
    }
    for sec in &page.sections {
        let _ = writeln!(s, "## {}\n", esc(&sec.name));
        if !sec.description.is_empty() {
            let _ = writeln!(s, "{}\n", esc(&sec.description));
        }
        if !sec.timeline.is_empty() {
            let t = Table {
                head: vec!["at".into(), "what".into(), String::new()],
                rows: sec
                    .timeline
                    .iter()
                    .map(|(a, k, l)| vec![a.as_str().into(), k.as_str().into(), l.as_str().into()])
                    .collect(),
            };
            s.push_str("Timeline (after the warm-up):\n\n");
            table(&t, &mut s);
        }
        for (caption, t) in &sec.tables {
            let _ = writeln!(s, "### {}\n", esc(caption));
            table(t, &mut s);
        }
        for c in &sec.key {
            let _ = writeln!(s, "![{}]({}.png)\n", esc(&c.title), link(&c.file));
        }
        if !sec.secondary.is_empty() {
            let _ = writeln!(
                s,
                "<details><summary>{} more charts</summary>\n",
                sec.secondary.len()
            );
            for c in &sec.secondary {
                let _ = writeln!(s, "![{}]({}.png)\n", esc(&c.title), link(&c.file));
            }
            s.push_str("</details>\n\n");
        }
        if !sec.flat.is_empty() {
            let _ = writeln!(s, "Flat, not drawn: {}.\n", esc(&sec.flat.join("; ")));
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_escapes_names() {
        assert_eq!(esc("<script>|a_b"), "&lt;script&gt;\\|a\\_b");
        assert_eq!(link("a b/c(1)"), "a%20b/c%281%29");
    }
}
