//! One table model for every table the harness prints (reports, `compare`), drawn as
//! terminal text, as Markdown or as an HTML view (the `table` macro of the report
//! pages) by the same code (hyperfine's `MarkupExporter` idea): a topic builds a
//! [`Table`] once and never writes a row twice.
//!
//! Text: each line starts with two spaces; columns are separated by their gap (one space
//! unless set); the first column fits its content, the others have a fixed width that a
//! longer cell overflows; lines carry no trailing spaces. Markdown: a header, an
//! alignment row, then rows whose cells are escaped.

use crate::format::escape_markdown;

/// Where a cell sits in its column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Align {
    /// Flush left (names, sentences).
    Left,
    /// Flush right (numbers).
    Right,
}

/// Which outputs show a column.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Show {
    /// Terminal and Markdown.
    Both,
    /// The terminal only (a compact form of columns Markdown spells out).
    Text,
    /// Markdown only.
    Markdown,
}

/// One column.
#[derive(Debug, Clone)]
pub struct Column {
    title: String,
    markdown_title: Option<String>,
    align: Align,
    markdown_align: Option<Align>,
    width: Option<usize>,
    show: Show,
    gap: usize,
}

impl Column {
    /// A left-aligned column as wide as its widest cell (or title).
    pub fn fit(title: impl Into<String>) -> Self {
        Column {
            title: title.into(),
            markdown_title: None,
            align: Align::Left,
            markdown_align: None,
            width: None,
            show: Show::Both,
            gap: 1,
        }
    }

    /// A right-aligned column of a fixed text width.
    pub fn right(title: impl Into<String>, width: usize) -> Self {
        Column {
            align: Align::Right,
            width: Some(width),
            ..Column::fit(title)
        }
    }

    /// A left-aligned column of a fixed text width (0: as long as its cells).
    pub fn left(title: impl Into<String>, width: usize) -> Self {
        Column {
            width: Some(width),
            ..Column::fit(title)
        }
    }

    /// Flush right (numbers), in a column as wide as its widest cell.
    pub fn right_aligned(mut self) -> Self {
        self.align = Align::Right;
        self
    }

    /// The title Markdown shows, when it differs from the terminal's.
    pub fn markdown_title(mut self, title: impl Into<String>) -> Self {
        self.markdown_title = Some(title.into());
        self
    }

    /// Left-aligned in Markdown although right-aligned in the terminal (words in a
    /// column of fixed width).
    pub fn markdown_left(mut self) -> Self {
        self.markdown_align = Some(Align::Left);
        self
    }

    /// Shown in the terminal only.
    pub fn text_only(mut self) -> Self {
        self.show = Show::Text;
        self
    }

    /// Shown in Markdown only.
    pub fn markdown_only(mut self) -> Self {
        self.show = Show::Markdown;
        self
    }

    /// Spaces before the column in the terminal.
    pub fn gap(mut self, spaces: usize) -> Self {
        self.gap = spaces;
        self
    }

    fn in_text(&self) -> bool {
        self.show != Show::Markdown
    }

    fn in_markdown(&self) -> bool {
        self.show != Show::Text
    }
}

/// One row: a cell per column, or (for a case that has no numbers) its first cells and
/// a message in place of the rest.
#[derive(Debug, Clone)]
pub struct Row {
    cells: Vec<String>,
    message: Option<Message>,
    tone: Option<&'static str>,
}

#[derive(Debug, Clone)]
struct Message {
    lead: usize,
    text: String,
    in_markdown: bool,
}

impl Row {
    /// A row of cells, one per column (text-only and Markdown-only columns included).
    pub fn cells(cells: Vec<String>) -> Self {
        Row {
            cells,
            message: None,
            tone: None,
        }
    }

    /// How the HTML form colours the row: `good`, `bad` or `info`.
    pub fn tone(mut self, tone: &'static str) -> Self {
        self.tone = Some(tone);
        self
    }

    /// The first `lead` cells, then `text` spanning the other columns.
    pub fn message(lead: Vec<String>, text: String) -> Self {
        Row {
            message: Some(Message {
                lead: lead.len(),
                text,
                in_markdown: true,
            }),
            cells: lead,
            tone: None,
        }
    }

    /// Like [`Row::message`] in the terminal, while Markdown shows every cell.
    pub fn text_message(cells: Vec<String>, lead: usize, text: String) -> Self {
        Row {
            cells,
            message: Some(Message {
                lead,
                text,
                in_markdown: false,
            }),
            tone: None,
        }
    }
}

/// A table of one topic.
#[derive(Debug, Clone)]
pub struct Table {
    columns: Vec<Column>,
    rows: Vec<Row>,
    text_header: bool,
}

impl Table {
    /// A table with these columns and no rows.
    pub fn new(columns: Vec<Column>) -> Self {
        Table {
            columns,
            rows: Vec::new(),
            text_header: true,
        }
    }

    /// Leaves the header line out of the terminal form.
    pub fn without_text_header(mut self) -> Self {
        self.text_header = false;
        self
    }

    /// Adds a row.
    pub fn push(&mut self, row: Row) {
        self.rows.push(row);
    }

    /// Whether the table has no rows.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// Each column's text width: the fixed one, or the widest cell (and title).
    fn widths(&self) -> Vec<usize> {
        self.columns
            .iter()
            .enumerate()
            .map(|(i, c)| match c.width {
                Some(w) => w,
                None => self
                    .rows
                    .iter()
                    .filter(|r| r.message.as_ref().is_none_or(|m| i < m.lead))
                    .filter_map(|r| r.cells.get(i))
                    .map(|s| s.chars().count())
                    .chain(self.text_header.then(|| c.title.chars().count()))
                    .max()
                    .unwrap_or(0),
            })
            .collect()
    }

    fn text_line(&self, widths: &[usize], cells: &[&str], message: Option<&str>) -> String {
        let mut line = String::from("  ");
        let mut first = true;
        for ((c, w), cell) in self.columns.iter().zip(widths).zip(cells) {
            if !c.in_text() {
                continue;
            }
            if !first {
                line.push_str(&" ".repeat(c.gap));
            }
            first = false;
            let pad = w.saturating_sub(cell.chars().count());
            match c.align {
                Align::Left => {
                    line.push_str(cell);
                    line.push_str(&" ".repeat(pad));
                }
                Align::Right => {
                    line.push_str(&" ".repeat(pad));
                    line.push_str(cell);
                }
            }
        }
        if let Some(m) = message {
            line.push(' ');
            line.push_str(m);
        }
        line.truncate(line.trim_end().len());
        line.push('\n');
        line
    }

    /// The table for a terminal.
    pub fn text(&self) -> String {
        let widths = self.widths();
        let mut out = String::new();
        if self.text_header {
            let titles: Vec<&str> = self.columns.iter().map(|c| c.title.as_str()).collect();
            out.push_str(&self.text_line(&widths, &titles, None));
        }
        for r in &self.rows {
            let cells: Vec<&str> = r.cells.iter().map(String::as_str).collect();
            match &r.message {
                Some(m) => out.push_str(&self.text_line(&widths, &cells[..m.lead], Some(&m.text))),
                None => out.push_str(&self.text_line(&widths, &cells, None)),
            }
        }
        out
    }

    /// The table as GitHub-flavoured Markdown.
    pub fn markdown(&self) -> String {
        let shown: Vec<usize> = (0..self.columns.len())
            .filter(|&i| self.columns[i].in_markdown())
            .collect();
        let mut out = String::from("| ");
        let titles: Vec<&str> = shown
            .iter()
            .map(|&i| {
                let c = &self.columns[i];
                c.markdown_title.as_deref().unwrap_or(&c.title)
            })
            .collect();
        out.push_str(&titles.join(" | "));
        out.push_str(" |\n|");
        for &i in &shown {
            let c = &self.columns[i];
            out.push_str(match c.markdown_align.unwrap_or(c.align) {
                Align::Left => "---|",
                Align::Right => "---:|",
            });
        }
        out.push('\n');
        for r in &self.rows {
            let cell = |i: usize| escape_markdown(r.cells.get(i).map_or("", String::as_str));
            match &r.message {
                Some(m) if m.in_markdown => {
                    let lead: Vec<String> = shown
                        .iter()
                        .copied()
                        .filter(|&i| i < m.lead)
                        .map(cell)
                        .collect();
                    let rest = shown.len() - lead.len();
                    out.push_str(&format!(
                        "| {} | {} |{}\n",
                        lead.join(" | "),
                        escape_markdown(&m.text),
                        "|".repeat(rest.saturating_sub(1))
                    ));
                }
                _ => {
                    let cells: Vec<String> = shown.iter().map(|&i| cell(i)).collect();
                    out.push_str(&format!("| {} |\n", cells.join(" | ")));
                }
            }
        }
        out
    }
}

/// A table as the HTML pages draw it (the `table` macro of `table.html`): the
/// Markdown form's columns and cells, unescaped (the template escapes them).
#[derive(Debug, Clone, serde::Serialize)]
pub struct TableView {
    /// Column titles and whether each is flush left.
    pub columns: Vec<ColumnView>,
    /// The rows.
    pub rows: Vec<RowView>,
}

/// One column of a [`TableView`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct ColumnView {
    /// Its title.
    pub title: String,
    /// Whether its cells are flush left.
    pub left: bool,
}

/// One row of a [`TableView`].
#[derive(Debug, Clone, serde::Serialize)]
pub struct RowView {
    /// Its cells (for a message row, the lead cells).
    pub cells: Vec<String>,
    /// A message spanning the other columns.
    pub message: Option<String>,
    /// How many columns the message spans.
    pub span: usize,
    /// `good`, `bad`, `info` or empty.
    pub tone: &'static str,
}

impl Table {
    /// The table for an HTML page.
    pub fn view(&self) -> TableView {
        let shown: Vec<usize> = (0..self.columns.len())
            .filter(|&i| self.columns[i].in_markdown())
            .collect();
        let columns = shown
            .iter()
            .map(|&i| {
                let c = &self.columns[i];
                ColumnView {
                    title: c.markdown_title.clone().unwrap_or_else(|| c.title.clone()),
                    left: c.markdown_align.unwrap_or(c.align) == Align::Left,
                }
            })
            .collect();
        let rows = self
            .rows
            .iter()
            .map(|r| {
                let lead = r.message.as_ref().map_or(usize::MAX, |m| m.lead);
                let cells: Vec<String> = shown
                    .iter()
                    .copied()
                    .filter(|&i| i < lead || r.message.as_ref().is_some_and(|m| !m.in_markdown))
                    .map(|i| r.cells.get(i).cloned().unwrap_or_default())
                    .collect();
                let message = r
                    .message
                    .as_ref()
                    .filter(|m| m.in_markdown)
                    .map(|m| m.text.clone());
                RowView {
                    span: shown.len().saturating_sub(cells.len()),
                    cells,
                    message,
                    tone: r.tone.unwrap_or(""),
                }
            })
            .collect();
        TableView { columns, rows }
    }
}

/// One scenario's section of one kind (`fleet`, `hot-update`) in the terminal table or
/// the Markdown summary: a heading and the table, or nothing when there is no table.
pub struct Section<'a> {
    /// The scenario.
    pub scenario: &'a str,
    /// What the section shows, after the scenario's name.
    pub kind: &'a str,
    /// The terminal heading's explanation, after `scenario / kind: `.
    pub caption: &'a str,
}

impl Section<'_> {
    /// The terminal section ("" without a table).
    pub fn text(&self, table: Option<Table>) -> String {
        table.map_or_else(String::new, |t| {
            format!(
                "\n{} / {}: {}\n{}",
                self.scenario,
                self.kind,
                self.caption,
                t.text()
            )
        })
    }

    /// The Markdown section ("" without a table).
    pub fn markdown(&self, table: Option<Table>) -> String {
        table.map_or_else(String::new, |t| {
            format!(
                "### {} / {}\n\n{}\n",
                crate::format::escape_markdown(self.scenario),
                self.kind,
                t.markdown()
            )
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table() -> Table {
        let mut t = Table::new(vec![
            Column::fit("variant"),
            Column::right("n", 4).markdown_title("processes"),
            Column::right("a/b", 5).text_only(),
            Column::right("a", 3).markdown_only(),
            Column::left("note", 0).gap(2),
        ]);
        t.push(Row::cells(vec![
            "zip-stored-pyc".into(),
            "16".into(),
            "1/2".into(),
            "1".into(),
            "".into(),
        ]));
        t.push(Row::message(
            vec!["dir_pyc".into(), "4".into()],
            "error: boom | <b>".into(),
        ));
        t
    }

    #[test]
    fn the_terminal_form_aligns_and_leaves_no_trailing_spaces() {
        assert_eq!(
            table().text(),
            "  variant           n   a/b  note\n  \
             zip-stored-pyc   16   1/2\n  \
             dir_pyc           4 error: boom | <b>\n"
        );
    }

    #[test]
    fn the_markdown_form_escapes_cells_and_spans_messages() {
        assert_eq!(
            table().markdown(),
            "| variant | processes | a | note |\n|---|---:|---:|---|\n\
             | zip-stored-pyc | 16 | 1 |  |\n\
             | dir\\_pyc | 4 | error: boom \\| &lt;b&gt; ||\n"
        );
    }
}
