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
        let span = error.span();
        let found = span
            .clone()
            .and_then(|span| source.get(span))
            .unwrap_or("")
            .trim();
        let (message, help) = explain_toml_error(error.message().trim(), found);
        let diagnostic = match span {
            Some(span) => Diagnostic::at(path, source, span, message),
            None => Diagnostic::whole_file(path, message),
        };
        diagnostic.with_help(help)
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

/// The message and help for a TOML or serde error. `found` is the source text the error
/// points at. serde speaks of fields, structs and sequences; a spec's author writes
/// keys, tables and lists, so the words are translated as well as explained.
fn explain_toml_error(message: &str, found: &str) -> (String, String) {
    if let Some(rest) = message.strip_prefix("unknown field `")
        && let Some((unknown, expected)) = rest.split_once('`')
    {
        return (
            format!("unknown key `{unknown}`"),
            unknown_key_help(unknown, expected),
        );
    }
    if let Some(rest) = message.strip_prefix("missing field `")
        && let Some(key) = rest.split('`').next()
    {
        return missing_key(key);
    }
    let wrong = message
        .strip_prefix("invalid type: ")
        .or_else(|| message.strip_prefix("invalid value: "));
    if let Some((unexpected, expected)) = wrong.and_then(|rest| rest.rsplit_once(", expected ")) {
        return wrong_type(unexpected, expected.trim(), found);
    }
    if message == "duplicate key" {
        let key = if !found.is_empty() && found.len() <= 60 && !found.contains('\n') {
            format!(" `{found}`")
        } else {
            String::new()
        };
        return (
            format!("duplicate key{key}"),
            "a key may appear only once in a table; remove or rename one of them".to_string(),
        );
    }
    (message.to_string(), syntax_help(message))
}

/// Keys of other schema languages (JSON Schema, OpenAPI) and their apigen names.
const KEY_ALIASES: &[(&str, &str)] = &[
    ("fields", "schema"),
    ("properties", "schema"),
    ("enum", "allowed"),
    ("pattern", "regex"),
    ("minimum", "min"),
    ("maximum", "max"),
    ("relation", "data_relation"),
    ("methods", "resource_methods"),
];

fn unknown_key_help(unknown: &str, expected: &str) -> String {
    let candidates = backticked(expected);
    let alias = KEY_ALIASES
        .iter()
        .find(|(alias, _)| alias.eq_ignore_ascii_case(unknown))
        .map(|(_, key)| *key)
        .filter(|key| candidates.iter().any(|c| c == key));
    match alias.or_else(|| closest(unknown, candidates.iter().map(String::as_str))) {
        Some(best) => format!("did you mean `{best}`?"),
        None if candidates.is_empty() => "remove this key".to_string(),
        None => format!("the keys allowed here are {}", join_ticked(&candidates)),
    }
}

fn missing_key(key: &str) -> (String, String) {
    let (message, help) = match key {
        "api" => (
            "the spec has no `[api]` table",
            "add an `[api]` table with `name = \"myapi\"` and `version = \"1.0.0\"`",
        ),
        "name" => (
            "`[api]` has no `name`",
            "add `name = \"myapi\"`: the API's name, lowercase letters and digits",
        ),
        "version" => (
            "`[api]` has no `version`",
            "add `version = \"1.0.0\"`: the API's version, whose major part is the `/v1` path segment",
        ),
        "type" => (
            "this field has no `type`",
            "add `type = \"string\"`, or another type: integer, float, number, boolean, datetime, objectid, dict, list",
        ),
        "resource" => (
            "this data_relation names no resource",
            "add `resource = \"<name>\"`, naming one of the spec's `[resources.<name>]`",
        ),
        _ => return (format!("missing key `{key}`"), format!("add `{key} = ...`")),
    };
    (message.to_string(), help.to_string())
}

/// "expected X, found Y", with how to write an X.
fn wrong_type(unexpected: &str, expected: &str, found: &str) -> (String, String) {
    if let Some(number) = unexpected
        .strip_prefix("integer `")
        .and_then(|rest| rest.strip_suffix("` as i128"))
    {
        return (
            format!("the number {number} is too large"),
            "write a whole number between -9223372036854775808 and 9223372036854775807".to_string(),
        );
    }
    let short = !found.is_empty() && found.len() <= 40 && !found.contains('\n');
    let scalar = short && !found.starts_with(['{', '[']);
    let (what, help) = match expected {
        "a string" => (
            "a string".to_string(),
            "write text in double quotes, like \"text\"".to_string(),
        ),
        "a boolean" => (
            "`true` or `false`".to_string(),
            "write `true` or `false`, without quotes".to_string(),
        ),
        "i64" | "u64" | "i32" | "u32" | "an integer" => (
            "a whole number".to_string(),
            "write a whole number without quotes, like `10`".to_string(),
        ),
        "a sequence" => (
            "a list".to_string(),
            if scalar {
                format!("write a list in brackets, even of one value: `[{found}]`")
            } else {
                "write a list in brackets, like `[\"GET\", \"POST\"]`".to_string()
            },
        ),
        "a map" => (
            "a table".to_string(),
            "write a table of `key = value` pairs, in `{ }` or below a `[header]`".to_string(),
        ),
        "struct FieldSpec" => (
            "a table of rules".to_string(),
            if scalar && found.starts_with('"') {
                format!("a field is a table of rules: write `{{ type = {found} }}`")
            } else {
                "a field is a table of rules, like `{ type = \"string\", required = true }`"
                    .to_string()
            },
        ),
        "struct RelationSpec" => (
            "a table naming the related resource".to_string(),
            if scalar && found.starts_with('"') {
                format!("write `{{ resource = {found} }}`")
            } else {
                "write `{ resource = \"<name>\" }`, optionally with `field` and `embeddable`"
                    .to_string()
            },
        ),
        "struct ResourceSpec" => (
            "a resource table".to_string(),
            "declare a resource as `[resources.<name>]`, its fields below `[resources.<name>.schema]`"
                .to_string(),
        ),
        "struct ApiSpec" => (
            "the `[api]` table".to_string(),
            "write `[api]` on its own line, then `name = ...` and `version = ...` below it"
                .to_string(),
        ),
        other => (other.to_string(), format!("this value must be {other}")),
    };
    (
        format!(
            "expected {what}, found {}",
            describe_found(unexpected, found)
        ),
        help,
    )
}

/// serde's name for what it found ("string \"x\"", "map"), in a spec author's words.
fn describe_found(unexpected: &str, found: &str) -> String {
    if let Some(text) = unexpected.strip_prefix("string ") {
        return format!("the string {text}");
    }
    if let Some(number) = unexpected.strip_prefix("integer ") {
        return format!("the number {number}");
    }
    if let Some(number) = unexpected.strip_prefix("floating point ") {
        return format!("the number {number}");
    }
    if let Some(value) = unexpected.strip_prefix("boolean ") {
        return value.to_string();
    }
    match unexpected {
        "sequence" => "a list".to_string(),
        // TOML dates reach serde as maps.
        "map" if !found.is_empty() && !found.starts_with(['{', '[']) => {
            format!("the date `{found}`")
        }
        "map" => "a table".to_string(),
        other => other.to_string(),
    }
}

/// A hint for a TOML syntax error.
fn syntax_help(message: &str) -> String {
    let specific = [
        (
            "basic string",
            "close the string with `\"` on the same line",
        ),
        (
            "literal string",
            "close the string with `'` on the same line",
        ),
        (
            "must be quoted",
            "put text values in double quotes, like \"text\"",
        ),
        ("unclosed inline table", "close the inline table with `}`"),
        ("recurs", "nest tables and lists less deeply"),
        ("unclosed array", "close the list with `]`"),
        ("unclosed table", "close the table header with `]`"),
        (
            "expected newline",
            "put each `key = value` and each `[table]` on a line of its own",
        ),
    ];
    let hint = specific
        .iter()
        .find(|(needle, _)| message.contains(needle))
        .map_or(
            "check this line's quotes, brackets, commas and `=`",
            |(_, h)| h,
        );
    format!("{hint} (a spec is TOML: https://toml.io)")
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
/// The one line of a regex error that says what is wrong (the crate's message also
/// repeats the pattern with a caret, which a diagnostic shows its own way).
pub fn regex_problem(error: &regex::Error) -> String {
    let detail = error.to_string();
    let last = detail.lines().last().unwrap_or("invalid pattern").trim();
    last.strip_prefix("error: ").unwrap_or(last).to_string()
}

pub fn closest<'a>(word: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let limit = (word.chars().count() / 3).max(1);
    candidates
        .into_iter()
        .map(|c| (edit_distance(word, c), c))
        .filter(|(d, _)| *d <= limit)
        .min_by_key(|(d, c)| (*d, *c))
        .map(|(_, c)| c)
}

/// Edit distance over characters, case-insensitive, counting a swap of two neighbours
/// (`emial` for `email`) as one edit (optimal string alignment).
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.to_lowercase().chars().collect();
    let b: Vec<char> = b.to_lowercase().chars().collect();
    let mut before: Vec<usize> = Vec::new();
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.iter().enumerate() {
        let mut current = vec![i + 1];
        for (j, cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            let mut best = substitute.min(previous[j + 1] + 1).min(current[j] + 1);
            if i > 0 && j > 0 && *ca == b[j - 1] && a[i - 1] == *cb {
                best = best.min(before[j - 1] + 1);
            }
            current.push(best);
        }
        before = std::mem::replace(&mut previous, current);
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
        assert_eq!(closest("emial", ["email", "_id"]), Some("email"));
    }

    #[test]
    fn locates_spans_by_line_and_column() {
        let loc = locate("a = 1\nbb = 2\n", 6..8);
        assert_eq!((loc.line, loc.column, loc.width), (2, 1, 2));
        assert_eq!(loc.line_text, "bb = 2");
    }
}
