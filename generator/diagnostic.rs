//! Spec errors that teach: the place (`file:line:col`), the offending line with the
//! span underlined, and a `help:` line saying what to write instead, as rustc does.

use std::fmt;
use std::ops::Range;

/// One error in a spec, ready to print.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub path: String,
    pub message: String,
    /// 1-based line and column of the span's start, and the line's text.
    pub location: Option<Location>,
    pub help: Option<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Location {
    pub line: usize,
    pub column: usize,
    pub line_text: String,
    /// Width of the underline, at least 1, never past the line's end.
    pub width: usize,
}

impl Diagnostic {
    /// An error at a byte span of `source`.
    pub fn at(path: &str, source: &str, span: Range<usize>, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_string(),
            message: message.into(),
            location: Some(locate(source, span)),
            help: None,
        }
    }

    /// An error about the file as a whole (it cannot be read, say).
    pub fn whole_file(path: &str, message: impl Into<String>) -> Self {
        Diagnostic {
            path: path.to_string(),
            message: message.into(),
            location: None,
            help: None,
        }
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// Translate the TOML/serde error into one that says what to do about it.
    pub fn from_toml(path: &str, source: &str, error: &toml::de::Error) -> Self {
        let message = error.message().trim().to_string();
        let help = help_for_serde_message(&message);
        let diagnostic = match error.span() {
            Some(span) => Diagnostic::at(path, source, span, message),
            None => Diagnostic::whole_file(path, message),
        };
        match help {
            Some(help) => diagnostic.with_help(help),
            None => diagnostic,
        }
    }
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(f, "error: {}", self.message)?;
        match &self.location {
            Some(loc) => {
                let gutter = loc.line.to_string().len();
                let pad = " ".repeat(gutter);
                writeln!(f, "{pad}--> {}:{}:{}", self.path, loc.line, loc.column)?;
                writeln!(f, "{pad} |")?;
                writeln!(f, "{} | {}", loc.line, loc.line_text)?;
                let indent: String = loc
                    .line_text
                    .chars()
                    .take(loc.column - 1)
                    .map(|c| if c == '\t' { '\t' } else { ' ' })
                    .collect();
                writeln!(f, "{pad} | {indent}{}", "^".repeat(loc.width))?;
                if let Some(help) = &self.help {
                    writeln!(f, "{pad} = help: {help}")?;
                }
            }
            None => {
                writeln!(f, " --> {}", self.path)?;
                if let Some(help) = &self.help {
                    writeln!(f, "  = help: {help}")?;
                }
            }
        }
        Ok(())
    }
}

impl std::error::Error for Diagnostic {}

/// Line, column (in characters) and underline width of a byte span.
fn locate(source: &str, span: Range<usize>) -> Location {
    let start = floor_char_boundary(source, span.start.min(source.len()));
    let end = floor_char_boundary(source, span.end.clamp(start, source.len()));
    let line_start = source[..start].rfind('\n').map_or(0, |i| i + 1);
    let line_end = source[start..]
        .find('\n')
        .map_or(source.len(), |i| start + i);
    let line = source[..start].matches('\n').count() + 1;
    let column = source[line_start..start].chars().count() + 1;
    let line_text = source[line_start..line_end]
        .trim_end_matches('\r')
        .to_string();
    let width = source[start..end.min(line_end).max(start)]
        .chars()
        .count()
        .max(1);
    Location {
        line,
        column,
        line_text,
        width,
    }
}

fn floor_char_boundary(text: &str, mut index: usize) -> usize {
    while index > 0 && !text.is_char_boundary(index) {
        index -= 1;
    }
    index
}

/// A hint for serde's messages: a did-you-mean for unknown keys, the expected shape for
/// wrong types, the missing key for missing fields.
fn help_for_serde_message(message: &str) -> Option<String> {
    if let Some(rest) = message.strip_prefix("unknown field `") {
        let (unknown, expected) = rest.split_once('`')?;
        let candidates = backticked(expected);
        return Some(
            match closest(unknown, candidates.iter().map(String::as_str)) {
                Some(best) => format!("did you mean `{best}`?"),
                None if candidates.is_empty() => "remove this key".to_string(),
                None => format!("the keys allowed here are {}", join_ticked(&candidates)),
            },
        );
    }
    if let Some(rest) = message.strip_prefix("missing field `") {
        let field = rest.split('`').next()?;
        return Some(format!("add `{field} = ...` to this table"));
    }
    if let Some((_, expected)) = message.split_once(", expected ") {
        if message.starts_with("invalid type") || message.starts_with("invalid value") {
            return Some(format!("this value must be {}", expected.trim()));
        }
    }
    None
}

fn backticked(text: &str) -> Vec<String> {
    text.split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_string)
        .collect()
}

fn join_ticked(items: &[String]) -> String {
    items
        .iter()
        .map(|s| format!("`{s}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The candidate nearest to `word` by edit distance, if it is near enough to be a typo.
pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// Levenshtein distance over characters, case-insensitive.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            current.push(substitute.min(previous[j + 1] + 1).min(current[j] + 1));
        }
        previous = current;
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_the_nearest_key() {
        assert_eq!(closest("requred", ["type", "required"]), Some("required"));
        assert_eq!(closest("zzz", ["type", "required"]), None);
    }

    #[test]
    fn locates_spans_by_line_and_column() {
        let loc = locate("a = 1\nbb = 2\n", 6..8);
        assert_eq!((loc.line, loc.column, loc.width), (2, 1, 2));
        assert_eq!(loc.line_text, "bb = 2");
    }
}
