//! Where a scenario error is: the validation context every checker shares, turning a
//! byte span of the file into its line, column and field.

use std::ops::{Range, RangeInclusive};

use toml::Spanned;

use super::{ScenarioError, ScenarioSource};

/// The scenario file being validated: its text (for positions) and where it came from.
pub(super) struct Ctx<'a> {
    /// The file's text.
    pub text: &'a str,
    /// Its path and hash.
    pub source: &'a ScenarioSource,
}

impl Ctx<'_> {
    /// An error at `span` of the file, naming its line, column and `field`.
    pub(super) fn err(
        &self,
        span: Range<usize>,
        field: &str,
        message: impl Into<String>,
    ) -> ScenarioError {
        let (line, column) = line_col(self.text, span.start);
        ScenarioError::Invalid {
            path: self.source.path.clone(),
            line,
            column,
            field: field.to_owned(),
            message: message.into(),
        }
    }

    /// An integer field within `range`.
    pub(super) fn int(
        &self,
        value: &Spanned<i64>,
        field: &str,
        range: &RangeInclusive<i64>,
    ) -> Result<u32, ScenarioError> {
        let v = *value.get_ref();
        if !range.contains(&v) {
            return Err(self.err(
                value.span(),
                field,
                format!("must be from {} to {}, got {v}", range.start(), range.end()),
            ));
        }
        u32::try_from(v).map_err(|_| self.err(value.span(), field, "value too large"))
    }

    /// An optional integer field within `range`, else `default`.
    pub(super) fn opt_int(
        &self,
        value: &Option<Spanned<i64>>,
        field: &str,
        range: &RangeInclusive<i64>,
        default: u32,
    ) -> Result<u32, ScenarioError> {
        value
            .as_ref()
            .map_or(Ok(default), |v| self.int(v, field, range))
    }
}

/// 1-based line and column of a byte offset.
pub(super) fn line_col(text: &str, offset: usize) -> (usize, usize) {
    let offset = offset.min(text.len());
    let before = &text[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    (line, before[line_start..].chars().count() + 1)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one() {
        assert_eq!(line_col("a\nbc\n", 0), (1, 1));
        assert_eq!(line_col("a\nbc\n", 3), (2, 2));
    }
}
