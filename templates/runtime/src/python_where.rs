//! Eve's second `where` syntax: a Python expression such as
//! `lastname == "Doe" and (age >= 18 or not born < datetime(1970, 1, 1))`.
//!
//! Eve tries `where` as JSON first and, when that fails, hands it to its Python parser
//! (`eve/io/mongo/parser.py`), which walks Python's own syntax tree into a MongoDB
//! query. apigen does the same walk without Python: this module reads the expression
//! and writes the MongoDB query, as JSON, that the client could have sent instead, and
//! `query::parse_where` checks that against the catalog exactly as it checks the JSON
//! form. Nothing is ever evaluated: the text is only read.
//!
//! Hand-written, because no crate parses this small subset of Python into MongoDB's
//! query shape (a general Python parser would accept far more than Eve does and still
//! need this translation). The subset:
//! - comparisons `name OP value` with `== != < <= > >=`, and `in` / `not in` a list;
//!   `name` is a field, dotted into dicts (`location.city`);
//! - `and`, `or`, `not` and parentheses;
//! - values: strings in single or double quotes (with Python's escapes), integers and
//!   floats (signed, `_` between digits), `True`, `False`, `None`, lists `[...]` and
//!   tuples `(...)`, `datetime(year, month, day[, hour, minute, second[, microsecond]])`
//!   and `ObjectId("24 hex digits")`.
//!
//! `a == v` becomes `{"a": v}`, `a != v` `{"a": {"$ne": v}}` (and `$gt`, `$gte`, `$lt`,
//! `$lte`, `$in`, `$nin`), `x and y` `{"$and": [x, y]}`, `x or y` `{"$or": [x, y]}` and
//! `not x` `{"$nor": [x]}`; a `datetime(...)` is written in the API's `date_format`, as
//! a JSON `where` writes dates.

use serde_json::{Map, Value as Json};

use crate::date::{self, DateFormat};
use crate::objectid;
use crate::query::{QueryError, MAX_DEPTH};

/// The MongoDB query, as JSON, that a Python-syntax `where` stands for.
pub fn to_mongo(text: &str, dates: &DateFormat) -> Result<Json, QueryError> {
    let mut parser = Parser {
        tokens: tokenize(text)?,
        next: 0,
        dates,
    };
    let query = parser.or(0)?;
    match parser.peek() {
        None => Ok(query),
        Some(token) => Err(QueryError(format!("unexpected {}", token.describe()))),
    }
}

#[derive(Clone, Debug, PartialEq)]
enum Token {
    /// A name: a field, a keyword, `True`, `datetime`...
    Name(String),
    Str(String),
    /// A number's text, `_` removed: decimal digits, maybe a fraction and an exponent.
    Number(String),
    /// An operator or punctuation: `== != < <= > >= ( ) [ ] , . - +`.
    Punct(&'static str),
}

impl Token {
    fn describe(&self) -> String {
        match self {
            Token::Name(name) => format!("'{name}'"),
            Token::Str(_) => "string".to_string(),
            Token::Number(text) => format!("number {text}"),
            Token::Punct(p) => format!("'{p}'"),
        }
    }

    fn is(&self, punct: &str) -> bool {
        matches!(self, Token::Punct(p) if *p == punct)
    }

    fn is_name(&self, name: &str) -> bool {
        matches!(self, Token::Name(n) if n == name)
    }
}

fn fail<T>(message: impl Into<String>) -> Result<T, QueryError> {
    Err(QueryError(message.into()))
}

/// Two-character operators first, so `<=` is not read as `<` then `=`.
const PUNCTS: [&str; 15] = [
    "==", "!=", "<=", ">=", "<", ">", "(", ")", "[", "]", ",", ".", "-", "+", "=",
];

fn tokenize(text: &str) -> Result<Vec<Token>, QueryError> {
    let mut tokens = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        if c.is_whitespace() {
            rest = &rest[c.len_utf8()..];
        } else if c == '"' || c == '\'' {
            let (value, after) = string(rest)?;
            tokens.push(Token::Str(value));
            rest = after;
        } else if c.is_ascii_digit()
            || (c == '.' && rest[1..].starts_with(|d: char| d.is_ascii_digit()))
        {
            let (number, after) = number(rest)?;
            tokens.push(Token::Number(number));
            rest = after;
        } else if c == '_' || c.is_alphabetic() {
            let end = rest
                .find(|c: char| !(c == '_' || c.is_alphanumeric()))
                .unwrap_or(rest.len());
            tokens.push(Token::Name(rest[..end].to_string()));
            rest = &rest[end..];
        } else if let Some(p) = PUNCTS.iter().find(|p| rest.starts_with(**p)) {
            if *p == "=" {
                return fail("'=' is an assignment: compare with '=='");
            }
            tokens.push(Token::Punct(p));
            rest = &rest[p.len()..];
        } else {
            return fail(format!("unexpected character '{c}'"));
        }
    }
    Ok(tokens)
}

/// A quoted string at the start of `text` (its quote is `text`'s first character),
/// with Python's escapes, and the text after it.
fn string(text: &str) -> Result<(String, &str), QueryError> {
    let quote = text.chars().next().unwrap_or('"');
    let mut value = String::new();
    let mut chars = text.char_indices().skip(1);
    while let Some((i, c)) = chars.next() {
        if c == quote {
            return Ok((value, &text[i + 1..]));
        }
        if c != '\\' {
            value.push(c);
            continue;
        }
        let Some((_, escaped)) = chars.next() else {
            break;
        };
        let hex_digits = match escaped {
            'x' => 2,
            'u' => 4,
            'U' => 8,
            _ => 0,
        };
        if hex_digits > 0 {
            let mut code = 0u32;
            for _ in 0..hex_digits {
                let digit = chars.next().and_then(|(_, d)| d.to_digit(16));
                code = match digit {
                    Some(d) => code * 16 + d,
                    None => return fail(format!("truncated \\{escaped} escape in a string")),
                };
            }
            match char::from_u32(code) {
                Some(decoded) => value.push(decoded),
                None => return fail(format!("\\{escaped} escape of no character in a string")),
            }
            continue;
        }
        match escaped {
            '\\' | '\'' | '"' => value.push(escaped),
            'n' => value.push('\n'),
            'r' => value.push('\r'),
            't' => value.push('\t'),
            '0' => value.push('\0'),
            'a' => value.push('\u{7}'),
            'b' => value.push('\u{8}'),
            'f' => value.push('\u{c}'),
            'v' => value.push('\u{b}'),
            '\n' => {}
            // Python keeps an unknown escape as it is.
            other => {
                value.push('\\');
                value.push(other);
            }
        }
    }
    fail("a string is not closed")
}

/// A decimal number at the start of `text`, as JSON number text, and the text after it.
fn number(text: &str) -> Result<(String, &str), QueryError> {
    let end = text
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == '.'))
        .unwrap_or(text.len());
    // An exponent's sign belongs to the number: `1e-5`.
    let end = match text[..end].ends_with(['e', 'E']) && text[end..].starts_with(['-', '+']) {
        true => {
            end + 1
                + text[end + 1..]
                    .find(|c: char| !(c.is_ascii_digit() || c == '_'))
                    .unwrap_or(text.len() - end - 1)
        }
        false => end,
    };
    let literal = &text[..end];
    if literal.contains("__") || literal.ends_with('_') || literal.contains("_.") {
        return fail(format!("invalid number {literal}"));
    }
    let mut digits: String = literal.chars().filter(|c| *c != '_').collect();
    // Python's `.5` and `5.` are JSON's `0.5` and `5.0`.
    if digits.starts_with('.') {
        digits.insert(0, '0');
    }
    if let Some(at) = digits.find('.') {
        if !digits[at + 1..].starts_with(|c: char| c.is_ascii_digit()) {
            digits.insert(at + 1, '0');
        }
    }
    let leading_zero = digits.len() > 1
        && digits.starts_with('0')
        && digits[1..].starts_with(|c: char| c.is_ascii_digit());
    let valid = !leading_zero
        && digits
            .bytes()
            .all(|b| b.is_ascii_digit() || b".eE+-".contains(&b))
        && serde_json::from_str::<serde_json::Number>(&digits).is_ok();
    if !valid {
        return fail(format!("invalid number {literal}"));
    }
    Ok((digits, &text[end..]))
}

struct Parser<'a> {
    tokens: Vec<Token>,
    next: usize,
    dates: &'a DateFormat,
}

impl Parser<'_> {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.next)
    }

    fn advance(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.next).cloned();
        self.next += 1;
        token
    }

    fn eat(&mut self, punct: &str) -> bool {
        let found = self.peek().is_some_and(|t| t.is(punct));
        if found {
            self.next += 1;
        }
        found
    }

    fn eat_name(&mut self, name: &str) -> bool {
        let found = self.peek().is_some_and(|t| t.is_name(name));
        if found {
            self.next += 1;
        }
        found
    }

    fn expect(&mut self, punct: &str) -> Result<(), QueryError> {
        match self.advance() {
            Some(token) if token.is(punct) => Ok(()),
            Some(token) => fail(format!("expected '{punct}', found {}", token.describe())),
            None => fail(format!("expected '{punct}' at the end")),
        }
    }

    fn deeper(depth: usize) -> Result<usize, QueryError> {
        if depth >= MAX_DEPTH {
            return fail(format!("where nests deeper than {MAX_DEPTH} levels"));
        }
        Ok(depth + 1)
    }

    /// `x or y or ...`
    fn or(&mut self, depth: usize) -> Result<Json, QueryError> {
        let depth = Self::deeper(depth)?;
        let first = self.and(depth)?;
        self.chain("or", "$or", first, depth, Self::and)
    }

    /// `x and y and ...`
    fn and(&mut self, depth: usize) -> Result<Json, QueryError> {
        let first = self.not(depth)?;
        self.chain("and", "$and", first, depth, Self::not)
    }

    /// Operands joined by `keyword`, as one `{operator: [...]}` (Python's `BoolOp`
    /// holds them all, as Eve's query does).
    fn chain(
        &mut self,
        keyword: &str,
        operator: &str,
        first: Json,
        depth: usize,
        operand: fn(&mut Self, usize) -> Result<Json, QueryError>,
    ) -> Result<Json, QueryError> {
        if !self.peek().is_some_and(|t| t.is_name(keyword)) {
            return Ok(first);
        }
        let mut operands = vec![first];
        while self.eat_name(keyword) {
            operands.push(operand(self, depth)?);
        }
        Ok(object(operator, Json::Array(operands)))
    }

    /// `not x`, or a comparison.
    fn not(&mut self, depth: usize) -> Result<Json, QueryError> {
        if self.eat_name("not") {
            let depth = Self::deeper(depth)?;
            let negated = self.not(depth)?;
            return Ok(object("$nor", Json::Array(vec![negated])));
        }
        self.comparison(depth)
    }

    /// `(expression)` or `field OP value`.
    fn comparison(&mut self, depth: usize) -> Result<Json, QueryError> {
        if self.eat("(") {
            let inner = self.or(depth)?;
            self.expect(")")?;
            return Ok(inner);
        }
        let field = self.field()?;
        let operator = match self.advance() {
            Some(Token::Punct(p)) => match p {
                "==" => "",
                "!=" => "$ne",
                "<" => "$lt",
                "<=" => "$lte",
                ">" => "$gt",
                ">=" => "$gte",
                other => {
                    return fail(format!(
                        "expected a comparison after '{field}', found '{other}'"
                    ))
                }
            },
            Some(Token::Name(name)) if name == "in" => "$in",
            Some(Token::Name(name)) if name == "not" && self.eat_name("in") => "$nin",
            Some(token) => {
                return fail(format!(
                    "expected a comparison after '{field}', found {}",
                    token.describe()
                ))
            }
            None => return fail(format!("'{field}' is not compared with anything")),
        };
        let value = self.value(depth)?;
        if matches!(operator, "$in" | "$nin") && !value.is_array() {
            return fail(format!("'{field}' can only be in a list"));
        }
        if self
            .peek()
            .is_some_and(|t| ["==", "!=", "<", "<=", ">", ">="].iter().any(|op| t.is(op)))
        {
            return fail("chained comparisons are not supported: join them with 'and'");
        }
        let condition = if operator.is_empty() {
            value
        } else {
            object(operator, value)
        };
        Ok(object(&field, condition))
    }

    /// A field name, dotted into dicts: `location.city`.
    fn field(&mut self) -> Result<String, QueryError> {
        let mut field = match self.advance() {
            Some(Token::Name(name)) if !is_keyword(&name) => name,
            Some(token) => {
                return fail(format!("expected a field name, found {}", token.describe()))
            }
            None => return fail("expected a condition at the end"),
        };
        while self.eat(".") {
            match self.advance() {
                Some(Token::Name(name)) if !is_keyword(&name) => {
                    field.push('.');
                    field.push_str(&name);
                }
                _ => return fail(format!("expected a name after '{field}.'")),
            }
        }
        Ok(field)
    }

    /// A literal value.
    fn value(&mut self, depth: usize) -> Result<Json, QueryError> {
        let depth = Self::deeper(depth)?;
        match self.advance() {
            Some(Token::Str(text)) => Ok(Json::String(text)),
            Some(Token::Number(text)) => json_number(&text),
            Some(Token::Punct("-")) => match self.advance() {
                Some(Token::Number(text)) => json_number(&format!("-{text}")),
                _ => fail("'-' must come before a number"),
            },
            Some(Token::Punct("+")) => match self.advance() {
                Some(Token::Number(text)) => json_number(&text),
                _ => fail("'+' must come before a number"),
            },
            Some(Token::Punct("[")) => Ok(Json::Array(self.items("]", depth)?.0)),
            Some(Token::Punct("(")) => {
                let (mut items, comma) = self.items(")", depth)?;
                // `(v)` is `v`; a comma makes a tuple (`(v,)` included).
                if items.len() == 1 && !comma {
                    Ok(items.pop().unwrap_or(Json::Null))
                } else {
                    Ok(Json::Array(items))
                }
            }
            Some(Token::Name(name)) => match name.as_str() {
                "True" => Ok(Json::Bool(true)),
                "False" => Ok(Json::Bool(false)),
                "None" => Ok(Json::Null),
                "datetime" => self.datetime(),
                "ObjectId" => self.object_id(),
                _ => fail(format!(
                    "'{name}' is not a value: quote a string, or use True, False, None, datetime(...) or ObjectId(...)"
                )),
            },
            Some(token) => fail(format!("expected a value, found {}", token.describe())),
            None => fail("expected a value at the end"),
        }
    }

    /// Values up to `close`, separated by commas (a trailing one allowed), and
    /// whether there was a comma.
    fn items(&mut self, close: &str, depth: usize) -> Result<(Vec<Json>, bool), QueryError> {
        let mut items = Vec::new();
        let mut comma = false;
        loop {
            if self.eat(close) {
                return Ok((items, comma));
            }
            items.push(self.value(depth)?);
            if !self.eat(",") {
                self.expect(close)?;
                return Ok((items, comma));
            }
            comma = true;
        }
    }

    /// `datetime(year, month, day[, hour, minute, second[, microsecond]])`, written
    /// in the API's date format (whole seconds: dates are stored to the second).
    fn datetime(&mut self) -> Result<Json, QueryError> {
        self.expect("(")?;
        let mut parts = Vec::new();
        loop {
            if self.eat(")") {
                break;
            }
            match self.advance() {
                Some(Token::Number(text)) => match text.parse::<i64>() {
                    Ok(n) => parts.push(n),
                    Err(_) => return fail("datetime(...) takes whole numbers"),
                },
                _ => return fail("datetime(...) takes whole numbers"),
            }
            if !self.eat(",") {
                self.expect(")")?;
                break;
            }
        }
        if !(3..=7).contains(&parts.len()) {
            return fail("datetime(...) takes a year, month and day, then maybe hour, minute, second and microsecond");
        }
        parts.resize(7, 0);
        let (year, month, day) = (parts[0], parts[1], parts[2]);
        let (hour, minute, second, micro) = (parts[3], parts[4], parts[5], parts[6]);
        let days = date::days_from_civil(year, month, day);
        let valid = (1..=9999).contains(&year)
            && (1..=12).contains(&month)
            && (1..=31).contains(&day)
            && date::civil_from_days(days) == (year, month, day)
            && hour < 24
            && minute < 60
            && second < 60
            && micro < 1_000_000;
        if !valid {
            return fail(format!(
                "datetime({year}, {month}, {day}, {hour}, {minute}, {second}) is not a date"
            ));
        }
        let seconds = days * 86_400 + hour * 3_600 + minute * 60 + second;
        Ok(Json::String(self.dates.format(seconds)))
    }

    /// `ObjectId("24 hex digits")`.
    fn object_id(&mut self) -> Result<Json, QueryError> {
        self.expect("(")?;
        let id = match self.advance() {
            Some(Token::Str(text)) if objectid::is_valid(&text) => text,
            _ => return fail("ObjectId(...) takes a string of 24 hex digits"),
        };
        self.eat(",");
        self.expect(")")?;
        Ok(Json::String(id))
    }
}

/// Python's keywords that cannot name a field here.
fn is_keyword(name: &str) -> bool {
    matches!(
        name,
        "and" | "or" | "not" | "in" | "is" | "True" | "False" | "None" | "lambda" | "if" | "else"
    )
}

fn json_number(text: &str) -> Result<Json, QueryError> {
    serde_json::from_str::<serde_json::Number>(text)
        .map(Json::Number)
        .map_err(|_| QueryError(format!("invalid number {text}")))
}

fn object(key: &str, value: Json) -> Json {
    let mut map = Map::new();
    map.insert(key.to_string(), value);
    Json::Object(map)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn mongo(text: &str) -> Json {
        to_mongo(text, &crate::date::RFC1123).unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    fn refused(text: &str) -> String {
        to_mongo(text, &crate::date::RFC1123)
            .expect_err(text)
            .to_string()
    }

    #[test]
    fn comparisons_become_mongo_operators() {
        assert_eq!(mongo(r#"lastname == "Doe""#), json!({"lastname": "Doe"}));
        assert_eq!(mongo("age != 3"), json!({"age": {"$ne": 3}}));
        assert_eq!(mongo("age < -3"), json!({"age": {"$lt": -3}}));
        assert_eq!(mongo("age <= 3.5"), json!({"age": {"$lte": 3.5}}));
        assert_eq!(mongo("age > 1_000"), json!({"age": {"$gt": 1000}}));
        assert_eq!(mongo("age >= .5"), json!({"age": {"$gte": 0.5}}));
        assert_eq!(
            mongo("location.city == 'Zürich'"),
            json!({"location.city": "Zürich"})
        );
        assert_eq!(
            mongo("n == 9007199254740993"),
            json!({"n": 9007199254740993u64})
        );
        assert_eq!(mongo("ok == True"), json!({"ok": true}));
        assert_eq!(mongo("ok != None"), json!({"ok": {"$ne": null}}));
        assert_eq!(
            mongo("role in ['a', \"b\",]"),
            json!({"role": {"$in": ["a", "b"]}})
        );
        assert_eq!(mongo("age not in (1, 2)"), json!({"age": {"$nin": [1, 2]}}));
        assert_eq!(mongo("tags == ([1, 2])"), json!({"tags": [1, 2]}));
        assert_eq!(mongo("tags == (1,)"), json!({"tags": [1]}));
    }

    #[test]
    fn boolean_operators_nest() {
        assert_eq!(
            mongo("a == 1 and b == 2 and c == 3"),
            json!({"$and": [{"a": 1}, {"b": 2}, {"c": 3}]})
        );
        assert_eq!(
            mongo("a == 1 or b == 2 and not c == 3"),
            json!({"$or": [{"a": 1}, {"$and": [{"b": 2}, {"$nor": [{"c": 3}]}]}]})
        );
        assert_eq!(
            mongo("(a == 1 or b == 2) and c == 3"),
            json!({"$and": [{"$or": [{"a": 1}, {"b": 2}]}, {"c": 3}]})
        );
    }

    #[test]
    fn calls_are_values_never_evaluated() {
        assert_eq!(
            mongo("born < datetime(1969, 7, 20, 20, 17)"),
            json!({"born": {"$lt": "Sun, 20 Jul 1969 20:17:00 GMT"}})
        );
        assert_eq!(
            mongo(r#"_id == ObjectId("5f1e4c2b9d3e2a0012345678")"#),
            json!({"_id": "5f1e4c2b9d3e2a0012345678"})
        );
        assert!(refused("born < datetime(2023, 2, 29)").contains("is not a date"));
        assert!(refused("_id == ObjectId('nope')").contains("24 hex digits"));
        assert!(refused("a == __import__('os')").contains("is not a value"));
        assert!(refused("a == len('x')").contains("is not a value"));
    }

    #[test]
    fn malformed_expressions_are_refused() {
        for text in [
            "",
            "a",
            "a ==",
            "a = 1",
            "== 1",
            "a == 1 and",
            "(a == 1",
            "a == [1, 2",
            "a == 'x",
            "1 == a",
            "a < b < c",
            "a == b",
            "a in 3",
            "a == 1 b == 2",
            "a == 007",
            "a == 1__0",
            "a == 'x' + 'y'",
            "a.== 1",
            "a == \\",
            "a == $1",
        ] {
            assert!(to_mongo(text, &crate::date::RFC1123).is_err(), "{text:?}");
        }
        let deep = format!("{}a == 1{}", "(".repeat(100), ")".repeat(100));
        assert!(refused(&deep).contains("deeper"));
        let negations = format!("{}a == 1", "not ".repeat(100));
        assert!(refused(&negations).contains("deeper"));
    }

    #[test]
    fn strings_take_pythons_escapes() {
        assert_eq!(
            mongo(r#"a == "q\"\n\t\x41\u00e9\U0001F600\q""#),
            json!({"a": "q\"\n\tAé😀\\q"})
        );
        assert_eq!(mongo(r#"a == 'it\'s'"#), json!({"a": "it's"}));
    }
}
