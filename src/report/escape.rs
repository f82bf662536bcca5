//! Escaping of untrusted text (scenario names and descriptions, Python error messages)
//! for Markdown. HTML is escaped by the template engine (minijinja auto-escapes `.html`
//! templates); SVG text drawn by plotters is escaped by plotters.

/// Text safe inside a Markdown paragraph or table cell: no HTML, no emphasis, links,
/// code spans or cell breaks; newlines folded to spaces.
pub fn escape_markdown(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for ch in s.chars() {
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '#' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            _ => out.push(ch),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn markdown_metacharacters_are_neutralised() {
        assert_eq!(
            escape_markdown("<script>a|b</script> *x* [l](u)\n`c`"),
            "&lt;script&gt;a\\|b&lt;/script&gt; \\*x\\* \\[l\\](u) \\`c\\`"
        );
    }
}
