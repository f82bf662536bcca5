//! How numbers and untrusted text are written for people: durations, sizes, rates and
//! Markdown-safe text. Every output (terminal table, `summary.md`, `report.html`,
//! `compare`, `calibrate`) uses these, so the same value reads the same everywhere.
//! HTML is escaped by the template engine (minijinja auto-escapes `.html` templates);
//! SVG text drawn by plotters is escaped by plotters.

/// `12.3 ms`, `850 us`, `1.25 s`.
pub fn format_duration_ns(ns: f64) -> String {
    if ns >= 1e9 {
        format!("{:.2} s", ns / 1e9)
    } else if ns >= 1e7 {
        format!("{:.1} ms", ns / 1e6)
    } else if ns >= 1e6 {
        format!("{:.2} ms", ns / 1e6)
    } else {
        format!("{:.0} us", ns / 1e3)
    }
}

/// `512 B`, `12.0 KiB`, `3.4 MiB`.
pub fn format_size(bytes: u64) -> String {
    let b = bytes as f64;
    if b >= 1024.0 * 1024.0 {
        format!("{:.1} MiB", b / 1024.0 / 1024.0)
    } else if b >= 1024.0 {
        format!("{:.1} KiB", b / 1024.0)
    } else {
        format!("{bytes} B")
    }
}

/// `4.12 us`, `214 us`, `1.53 ms`, `850 ns`: enough digits for per-unit rates.
pub fn format_rate(ns: f64) -> String {
    let a = ns.abs();
    if a < 1e3 {
        format!("{ns:.0} ns")
    } else if a < 1e4 {
        format!("{:.2} us", ns / 1e3)
    } else if a < 1e6 {
        format!("{:.1} us", ns / 1e3)
    } else {
        format_duration_ns(ns)
    }
}

/// `1 warm-up round`, `15 samples`: a count and its noun, plural when it is not one
/// (nouns that take an `s`).
pub fn count(n: impl Into<u64>, noun: &str) -> String {
    let n = n.into();
    if n == 1 {
        format!("1 {noun}")
    } else {
        format!("{n} {noun}s")
    }
}

/// Text safe to print on a terminal or into a CI log, however it came in (a hostname
/// or an archive member's name from someone else's file): control characters, escape
/// sequences and bidirectional overrides are shown escaped (`\u{1b}`), and a line that
/// would start a CI workflow command (`::error ...` on GitHub, `##[...]` on Azure) has
/// its first character escaped, so it prints as text and is not obeyed. Newlines and
/// tabs pass. Everything printed goes through here (`out!`, `note!`).
pub fn for_terminal(text: &str) -> std::borrow::Cow<'_, str> {
    fn unsafe_char(c: char) -> bool {
        (c.is_control() && c != '\n' && c != '\t')
            || matches!(c, '\u{200e}' | '\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2066}'..='\u{2069}')
    }
    fn command(line: &str) -> bool {
        let t = line.trim_start_matches([' ', '\t']);
        t.starts_with("::") || t.starts_with("##[")
    }
    if !text.chars().any(unsafe_char) && !text.split('\n').any(command) {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 16);
    for (i, line) in text.split('\n').enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let mut neutralise = command(line);
        for c in line.chars() {
            if unsafe_char(c) || (neutralise && !matches!(c, ' ' | '\t')) {
                out.push_str(&format!("\\u{{{:x}}}", c as u32));
            } else {
                out.push(c);
            }
            if !matches!(c, ' ' | '\t') {
                neutralise = false;
            }
        }
    }
    std::borrow::Cow::Owned(out)
}

/// Text safe inside a Markdown paragraph or table cell, whoever wrote it (a host name,
/// a notes field, a case key from a results file in a pull request): no HTML, emphasis,
/// links, images, code spans or cell breaks, newlines folded to spaces; and nothing
/// GitHub links by itself: a word joiner (U+2060, invisible) follows every `@` (a
/// mention of a person or team, an e-mail address), `#` (an issue reference) and the
/// `:` of `://`, and splits `www.`, so a bare URL or `@org/team` in a PR comment or job
/// summary reads as it was written and links and notifies no one.
pub fn escape_markdown(s: &str) -> String {
    const JOINER: char = '\u{2060}';
    let mut out = String::with_capacity(s.len() + 8);
    for (i, ch) in s.char_indices() {
        let rest = &s[i + ch.len_utf8()..];
        match ch {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\n' | '\r' => out.push(' '),
            '\\' | '`' | '*' | '_' | '[' | ']' | '|' | '~' | '!' => {
                out.push('\\');
                out.push(ch);
            }
            '#' => {
                out.push_str("\\#");
                out.push(JOINER);
            }
            '@' => {
                out.push('@');
                out.push(JOINER);
            }
            ':' if rest.starts_with("//") => {
                out.push(':');
                out.push(JOINER);
            }
            '.' if out
                .get(out.len().saturating_sub(3)..)
                .is_some_and(|t| t.eq_ignore_ascii_case("www")) =>
            {
                out.push(JOINER);
                out.push('.');
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
    fn terminal_text_cannot_command_a_ci_log_or_the_terminal() {
        let hostile = "host vm\n::error title=gate::all good\x1b[2J\r\n  ##[error]x\u{202e}";
        let shown = for_terminal(hostile);
        assert_eq!(
            shown,
            "host vm\n\\u{3a}:error title=gate::all good\\u{1b}[2J\\u{d}\n  \\u{23}#[error]x\\u{202e}"
        );
        assert!(!shown.chars().any(|c| c.is_control() && c != '\n'));
        assert!(shown.lines().all(|l| !l.trim_start().starts_with("::")));
        let plain = "a table\n\twith tabs: and :: inside";
        assert!(matches!(for_terminal(plain), std::borrow::Cow::Borrowed(_)));
    }

    #[test]
    fn durations_and_sizes_read_well() {
        assert_eq!(format_duration_ns(850_000.0), "850 us");
        assert_eq!(format_duration_ns(2_345_000.0), "2.35 ms");
        assert_eq!(format_duration_ns(92_100_000.0), "92.1 ms");
        assert_eq!(format_duration_ns(1_250_000_000.0), "1.25 s");
        assert_eq!(format_size(512), "512 B");
        assert_eq!(format_size(2048), "2.0 KiB");
    }
    #[test]
    fn rates_keep_their_digits() {
        assert_eq!(format_rate(4_120.0), "4.12 us");
        assert_eq!(format_rate(214_000.0), "214.0 us");
        assert_eq!(format_rate(850.0), "850 ns");
    }
    #[test]
    fn counts_agree_with_their_nouns() {
        assert_eq!(count(1u32, "warm-up round"), "1 warm-up round");
        assert_eq!(count(0u32, "sample"), "0 samples");
        assert_eq!(count(520u64, "module"), "520 modules");
    }

    #[test]
    fn markdown_metacharacters_are_neutralised() {
        assert_eq!(
            escape_markdown("<script>a|b</script> *x* [l](u)\n`c`"),
            "&lt;script&gt;a\\|b&lt;/script&gt; \\*x\\* \\[l\\](u) \\`c\\`"
        );
        let j = '\u{2060}';
        assert_eq!(
            escape_markdown("https://evil.example @octocat @org/team WWW.x.y #12 a@b.c"),
            format!(
                "https:{j}//evil.example @{j}octocat @{j}org/team WWW{j}.x.y \\#{j}12 a@{j}b.c"
            )
        );
    }
}
