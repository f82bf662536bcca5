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
    }
}
