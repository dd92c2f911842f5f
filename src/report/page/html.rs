//! [`Page`] as one self-contained HTML file: maud escapes every text by
//! default (component and scenario names are user input), the charts are
//! the SVG files inlined, the CSS is inline, nothing is fetched and no
//! script runs.

use maud::{DOCTYPE, Markup, PreEscaped, html};

use super::{Cell, Chart, Page, Table};

const CSS: &str = r#"
body { font-family: "DejaVu Sans", "Segoe UI", Helvetica, Arial, sans-serif; color: #222;
  max-width: 1100px; margin: 1.5em auto; padding: 0 1em; line-height: 1.4; }
h1 { font-size: 1.6em; margin-bottom: 0.3em; }
h2 { font-size: 1.3em; margin-top: 1.6em; border-bottom: 1px solid #ccc; padding-bottom: 0.2em; }
h3 { font-size: 1.05em; margin-top: 1.2em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.92em; }
th, td { border: 1px solid #d0d0d0; padding: 0.3em 0.6em; text-align: left; vertical-align: top; }
th { background: #f2f2f2; }
td.good { background: #e3f4e6; }
td.bad { background: #fbe3e3; }
td.unsure { background: #fdf5d8; }
dl.facts { display: grid; grid-template-columns: max-content 1fr; gap: 0.15em 1em; }
dl.facts dt { font-weight: bold; }
dl.facts dd { margin: 0; font-family: "DejaVu Sans Mono", monospace; font-size: 0.92em;
  overflow-wrap: anywhere; }
figure { margin: 0.8em 0; break-inside: avoid; page-break-inside: avoid; }
svg.chart { width: 100%; height: auto; border: 1px solid #eee; }
svg.topology { width: 100%; height: auto; }
p.note, p.flat { color: #555; font-size: 0.9em; }
details { margin: 0.8em 0; }
details summary { cursor: pointer; color: #345; }
.incomplete { background: #fbe3e3; border-left: 4px solid #c0392b; padding: 0.5em 0.8em; }
.warning { background: #fdf5d8; border-left: 4px solid #d8a500; padding: 0.3em 0.7em; }
@media print {
  body { max-width: none; margin: 0; }
  h2 { break-before: page; }
  h2.first { break-before: avoid; }
  details::details-content { content-visibility: visible; display: contents; }
}
"#;

/// The page as HTML.
pub fn render(page: &Page) -> String {
    let doc = html! {
        (DOCTYPE)
        html lang="en" {
            head {
                meta charset="utf-8";
                meta name="viewport" content="width=device-width, initial-scale=1";
                title { (page.title) }
                style { (PreEscaped(CSS)) }
            }
            body {
                h1 { (page.title) }
                @if let Some(note) = &page.incomplete {
                    p.incomplete { strong { "Incomplete run: " } (note) }
                }
                dl.facts {
                    @for (k, v) in &page.facts {
                        dt { (k) } dd { (v) }
                    }
                }
                @for w in &page.warnings {
                    p.warning { "warning: " (w) }
                }
                h2.first { "Summary" }
                (table(&page.summary, "summary"))
                @if !page.summary_note.is_empty() {
                    p.note { (page.summary_note) }
                }
                @if let Some(d) = &page.topology {
                    h2 { "System" }
                    p.note {
                        "Layered by dependency, entry points on top; solid arrows are hard "
                        "dependencies, dashed ones soft (the caller survives without them)."
                    }
                    (d.svg())
                }
                @for s in &page.sections {
                    h2 id={ "scenario-" (s.name) } { (s.name) }
                    @if !s.description.is_empty() {
                        p { (s.description) }
                    }
                    @if !s.timeline.is_empty() {
                        h3 { "Timeline (after the warm-up)" }
                        table.timeline {
                            tr { th { "at" } th { "what" } th { "" } }
                            @for (at, kind, label) in &s.timeline {
                                tr { td { (at) } td { (kind) } td { (label) } }
                            }
                        }
                    }
                    @for (caption, t) in &s.tables {
                        h3 { (caption) }
                        (table(t, "detail"))
                    }
                    @for c in &s.key {
                        (figure(c))
                    }
                    @if !s.secondary.is_empty() {
                        details {
                            summary { (s.secondary.len()) " more charts" }
                            @for c in &s.secondary {
                                (figure(c))
                            }
                        }
                    }
                    @if !s.flat.is_empty() {
                        p.flat { "Flat, not drawn: " (s.flat.join("; ")) "." }
                    }
                }
            }
        }
    };
    doc.into_string()
}

fn table(t: &Table, class: &str) -> Markup {
    html! {
        table class=(class) {
            tr { @for h in &t.head { th { (h) } } }
            @for row in &t.rows {
                tr { @for c in row { (cell(c)) } }
            }
        }
    }
}

fn cell(c: &Cell) -> Markup {
    html! {
        td class=[(!c.tone.is_empty()).then_some(c.tone)] { (c.text) }
    }
}

fn figure(c: &Chart) -> Markup {
    html! {
        figure {
            @match &c.svg {
                Some(svg) => (PreEscaped(svg)),
                None => p.note { "chart missing: " (c.title) },
            }
        }
    }
}
