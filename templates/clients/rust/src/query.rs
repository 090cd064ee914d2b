//! The typed filter builder, compiled to Eve's `where` (MongoDB's operators), and
//! the typed sort, projection and embedding of a read.
//!
//! Each generated document has `fields()`, whose accessors return a [`Field`] typed
//! by the document and by the field's kind: comparisons take values of that kind only,
//! so `Book::fields().title().gt(3)` does not compile and `.gt("M")` does.
//!
//! ```text
//! struct Book;
//! let title: Field<Book, Text> = Field::new("title");
//! let pages: Field<Book, Int> = Field::new("pages");
//! let filter = title.re("^Dune", "i").and(pages.gt(100)).or(title.eq("Emma"));
//! assert_eq!(
//!     filter.to_json().to_string(),
//!     r#"{"$or":[{"$and":[{"title":{"$options":"i","$regex":"^Dune"}},{"pages":{"$gt":100}}]},{"title":"Emma"}]}"#
//! );
//! ```

use std::marker::PhantomData;

use serde::Serialize;
use serde_json::{Map, Value, json};

/// What a field holds, for the filter builder: the type its values are given as.
pub trait FieldKind {
    /// The Rust type of a value compared with the field.
    type Value: Serialize;
}

/// Strings.
#[derive(Debug, Clone, Copy)]
pub struct Text;
/// Object ids (24 hex digits) and UUIDs, as text.
#[derive(Debug, Clone, Copy)]
pub struct Id;
/// Datetimes, as text in the API's date format (RFC 1123 by default).
#[derive(Debug, Clone, Copy)]
pub struct Date;
/// Integers.
#[derive(Debug, Clone, Copy)]
pub struct Int;
/// Floats and numbers.
#[derive(Debug, Clone, Copy)]
pub struct Num;
/// Booleans.
#[derive(Debug, Clone, Copy)]
pub struct Bool;
/// Dicts, lists, geometries and media: compared as JSON.
#[derive(Debug, Clone, Copy)]
pub struct Json;

impl FieldKind for Text {
    type Value = String;
}
impl FieldKind for Id {
    type Value = String;
}
impl FieldKind for Date {
    type Value = String;
}
impl FieldKind for Int {
    type Value = i64;
}
impl FieldKind for Num {
    type Value = f64;
}
impl FieldKind for Bool {
    type Value = bool;
}
impl FieldKind for Json {
    type Value = Value;
}

/// Kinds with an order: `gt`, `gte`, `lt`, `lte`.
pub trait Ordered: FieldKind {}
impl Ordered for Text {}
impl Ordered for Id {}
impl Ordered for Date {}
impl Ordered for Int {}
impl Ordered for Num {}

/// A field of document `D`, of kind `K`: where a filter, sort, projection or
/// embedding names it.
pub struct Field<D, K> {
    path: String,
    marker: PhantomData<fn() -> (D, K)>,
}

impl<D, K> Clone for Field<D, K> {
    fn clone(&self) -> Self {
        Field::new(self.path.clone())
    }
}

impl<D, K> std::fmt::Debug for Field<D, K> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Field({})", self.path)
    }
}

impl<D, K> Field<D, K> {
    /// The field at `path` (dotted for nested fields: `location.city`).
    pub fn new(path: impl Into<String>) -> Field<D, K> {
        Field {
            path: path.into(),
            marker: PhantomData,
        }
    }

    /// Its path.
    pub fn path(&self) -> &str {
        &self.path
    }

    /// A field of a nested dict: `location.city`.
    pub fn nested<K2>(&self, name: &str) -> Field<D, K2> {
        Field::new(format!("{}.{name}", self.path))
    }

    fn op(&self, op: &str, value: Value) -> Filter<D> {
        Filter::raw(json!({ self.path.clone(): { op: value } }))
    }

    /// Present (or absent): `{"field": {"$exists": true}}`.
    pub fn exists(&self, present: bool) -> Filter<D> {
        self.op("$exists", Value::Bool(present))
    }

    /// Ascending order on this field.
    pub fn asc(&self) -> Sort<D> {
        Sort::by(self.path.clone(), 1)
    }

    /// Descending order on this field.
    pub fn desc(&self) -> Sort<D> {
        Sort::by(self.path.clone(), -1)
    }
}

fn to_json<T: Serialize>(value: T) -> Value {
    serde_json::to_value(value).unwrap_or(Value::Null)
}

impl<D, K: FieldKind> Field<D, K> {
    /// Equal: `{"field": value}`.
    pub fn eq(&self, value: impl Into<K::Value>) -> Filter<D> {
        Filter::raw(json!({ self.path.clone(): to_json(value.into()) }))
    }

    /// Not equal: `$ne`.
    pub fn ne(&self, value: impl Into<K::Value>) -> Filter<D> {
        self.op("$ne", to_json(value.into()))
    }

    /// One of: `$in`.
    pub fn is_in<V: Into<K::Value>>(&self, values: impl IntoIterator<Item = V>) -> Filter<D> {
        let list = values.into_iter().map(|v| to_json(v.into())).collect();
        self.op("$in", Value::Array(list))
    }

    /// None of: `$nin`.
    pub fn not_in<V: Into<K::Value>>(&self, values: impl IntoIterator<Item = V>) -> Filter<D> {
        let list = values.into_iter().map(|v| to_json(v.into())).collect();
        self.op("$nin", Value::Array(list))
    }
}

impl<D, K: Ordered> Field<D, K> {
    /// Greater than: `$gt`.
    pub fn gt(&self, value: impl Into<K::Value>) -> Filter<D> {
        self.op("$gt", to_json(value.into()))
    }

    /// Greater than or equal: `$gte`.
    pub fn gte(&self, value: impl Into<K::Value>) -> Filter<D> {
        self.op("$gte", to_json(value.into()))
    }

    /// Less than: `$lt`.
    pub fn lt(&self, value: impl Into<K::Value>) -> Filter<D> {
        self.op("$lt", to_json(value.into()))
    }

    /// Less than or equal: `$lte`.
    pub fn lte(&self, value: impl Into<K::Value>) -> Filter<D> {
        self.op("$lte", to_json(value.into()))
    }
}

impl<D> Field<D, Text> {
    /// Matches a regular expression (`$regex`), with flags (`$options`: `i`, `m`,
    /// `s`, `x`; `""` for none), as flowthings' `.re(pattern, flags)`.
    pub fn re(&self, pattern: &str, flags: &str) -> Filter<D> {
        let mut ops = Map::new();
        ops.insert("$regex".into(), Value::String(pattern.into()));
        if !flags.is_empty() {
            ops.insert("$options".into(), Value::String(flags.into()));
        }
        Filter::raw(json!({ self.path.clone(): ops }))
    }
}

/// A condition on documents `D`: Eve's `where`.
pub struct Filter<D> {
    value: Value,
    marker: PhantomData<fn() -> D>,
}

impl<D> Clone for Filter<D> {
    fn clone(&self) -> Self {
        Filter::raw(self.value.clone())
    }
}

impl<D> std::fmt::Debug for Filter<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Filter({})", self.value)
    }
}

impl<D> Filter<D> {
    /// A filter as Eve's JSON `where`, unchecked (the server checks it).
    pub fn raw(value: Value) -> Filter<D> {
        Filter {
            value,
            marker: PhantomData,
        }
    }

    /// Both: `$and` (flattened).
    pub fn and(self, other: Filter<D>) -> Filter<D> {
        self.join("$and", other)
    }

    /// Either: `$or` (flattened).
    pub fn or(self, other: Filter<D>) -> Filter<D> {
        self.join("$or", other)
    }

    /// All of these (`$and`).
    pub fn all(filters: impl IntoIterator<Item = Filter<D>>) -> Filter<D> {
        Filter::raw(json!({ "$and": filters.into_iter().map(|f| f.value).collect::<Vec<_>>() }))
    }

    /// Any of these (`$or`).
    pub fn any(filters: impl IntoIterator<Item = Filter<D>>) -> Filter<D> {
        Filter::raw(json!({ "$or": filters.into_iter().map(|f| f.value).collect::<Vec<_>>() }))
    }

    /// None of these (`$nor`).
    pub fn none(filters: impl IntoIterator<Item = Filter<D>>) -> Filter<D> {
        Filter::raw(json!({ "$nor": filters.into_iter().map(|f| f.value).collect::<Vec<_>>() }))
    }

    fn join(self, op: &str, other: Filter<D>) -> Filter<D> {
        let mut list = match self.value {
            Value::Object(mut map) if map.len() == 1 && map.contains_key(op) => {
                match map.remove(op) {
                    Some(Value::Array(list)) => list,
                    _ => Vec::new(),
                }
            }
            value => vec![value],
        };
        list.push(other.value);
        Filter::raw(json!({ op: list }))
    }

    /// The `where` JSON.
    pub fn to_json(&self) -> &Value {
        &self.value
    }
}

impl<D> std::ops::BitAnd for Filter<D> {
    type Output = Filter<D>;
    fn bitand(self, other: Filter<D>) -> Filter<D> {
        self.and(other)
    }
}

impl<D> std::ops::BitOr for Filter<D> {
    type Output = Filter<D>;
    fn bitor(self, other: Filter<D>) -> Filter<D> {
        self.or(other)
    }
}

/// An order on documents `D`: Eve's `sort` (`[["title", 1], ["pages", -1]]`).
pub struct Sort<D> {
    keys: Vec<(String, i8)>,
    marker: PhantomData<fn() -> D>,
}

impl<D> Clone for Sort<D> {
    fn clone(&self) -> Self {
        Sort {
            keys: self.keys.clone(),
            marker: PhantomData,
        }
    }
}

impl<D> std::fmt::Debug for Sort<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Sort({:?})", self.keys)
    }
}

impl<D> Sort<D> {
    fn by(path: String, direction: i8) -> Sort<D> {
        Sort {
            keys: vec![(path, direction)],
            marker: PhantomData,
        }
    }

    /// Then by another key.
    pub fn then(mut self, other: Sort<D>) -> Sort<D> {
        self.keys.extend(other.keys);
        self
    }

    /// The `sort` JSON.
    pub fn to_json(&self) -> Value {
        Value::Array(self.keys.iter().map(|(k, d)| json!([k, d])).collect())
    }
}

/// A read's options: filter, sort, page, projection, embedding.
pub struct Query<D> {
    filter: Option<Filter<D>>,
    sort: Option<Sort<D>>,
    projection: Map<String, Value>,
    embedded: Map<String, Value>,
    max_results: Option<u32>,
    page: Option<u32>,
    extra: Vec<(String, String)>,
}

impl<D> Default for Query<D> {
    fn default() -> Self {
        Query {
            filter: None,
            sort: None,
            projection: Map::new(),
            embedded: Map::new(),
            max_results: None,
            page: None,
            extra: Vec::new(),
        }
    }
}

impl<D> Clone for Query<D> {
    fn clone(&self) -> Self {
        Query {
            filter: self.filter.clone(),
            sort: self.sort.clone(),
            projection: self.projection.clone(),
            embedded: self.embedded.clone(),
            max_results: self.max_results,
            page: self.page,
            extra: self.extra.clone(),
        }
    }
}

impl<D> std::fmt::Debug for Query<D> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.to_pairs()).finish()
    }
}

impl<D> Query<D> {
    /// Every document, the server's default page.
    pub fn new() -> Query<D> {
        Query::default()
    }

    /// Documents matching `filter` (`where`); a second call ANDs them.
    pub fn filter(mut self, filter: Filter<D>) -> Query<D> {
        self.filter = Some(match self.filter.take() {
            Some(first) => first.and(filter),
            None => filter,
        });
        self
    }

    /// In this order (`sort`); a second call adds keys after.
    pub fn sort(mut self, sort: Sort<D>) -> Query<D> {
        self.sort = Some(match self.sort.take() {
            Some(first) => first.then(sort),
            None => sort,
        });
        self
    }

    /// Only this field, and the others `only` names (`projection={"f": 1, ...}`);
    /// `_id` and the system fields always come. Chain it: `.only(a).only(b)`.
    pub fn only<K>(mut self, field: Field<D, K>) -> Query<D> {
        self.projection.insert(field.path, json!(1));
        self
    }

    /// All fields but this one, and the others `without` names (`projection={"f": 0}`).
    pub fn without<K>(mut self, field: Field<D, K>) -> Query<D> {
        self.projection.insert(field.path, json!(0));
        self
    }

    /// Replace this reference by the document it names (`embedded={"author": 1}`).
    pub fn embed<K>(mut self, field: Field<D, K>) -> Query<D> {
        self.embedded.insert(field.path, json!(1));
        self
    }

    /// Page size (`max_results`).
    pub fn max_results(mut self, n: u32) -> Query<D> {
        self.max_results = Some(n);
        self
    }

    /// Which page, from 1 (`page`).
    pub fn page(mut self, n: u32) -> Query<D> {
        self.page = Some(n);
        self
    }

    /// Another query parameter the operation reads (`show_deleted`, `version`).
    pub fn param(mut self, name: &str, value: impl Into<String>) -> Query<D> {
        self.extra.push((name.to_string(), value.into()));
        self
    }

    /// The filter, if any.
    pub fn filter_json(&self) -> Option<&Value> {
        self.filter.as_ref().map(Filter::to_json)
    }

    /// The query string's pairs.
    pub fn to_pairs(&self) -> Vec<(String, String)> {
        let mut pairs = Vec::new();
        if let Some(filter) = &self.filter {
            pairs.push(("where".to_string(), filter.value.to_string()));
        }
        if let Some(sort) = &self.sort {
            pairs.push(("sort".to_string(), sort.to_json().to_string()));
        }
        if !self.projection.is_empty() {
            pairs.push((
                "projection".to_string(),
                Value::Object(self.projection.clone()).to_string(),
            ));
        }
        if !self.embedded.is_empty() {
            pairs.push((
                "embedded".to_string(),
                Value::Object(self.embedded.clone()).to_string(),
            ));
        }
        if let Some(n) = self.max_results {
            pairs.push(("max_results".to_string(), n.to_string()));
        }
        if let Some(n) = self.page {
            pairs.push(("page".to_string(), n.to_string()));
        }
        pairs.extend(self.extra.iter().cloned());
        pairs
    }

    /// The query without its page number (the pages stream numbers them itself).
    pub fn without_page(mut self) -> Query<D> {
        self.page = None;
        self
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Person;

    #[test]
    fn filters_compile_to_mongo_where() {
        let last: Field<Person, Text> = Field::new("lastname");
        let age: Field<Person, Int> = Field::new("age");
        let f = last.gt("M") & age.gte(18) & age.lt(65);
        assert_eq!(
            f.to_json(),
            &json!({"$and": [{"lastname": {"$gt": "M"}}, {"age": {"$gte": 18}}, {"age": {"$lt": 65}}]})
        );
        let g = Filter::any([last.eq("Doe"), last.is_in(["A", "B"])]);
        assert_eq!(
            g.to_json(),
            &json!({"$or": [{"lastname": "Doe"}, {"lastname": {"$in": ["A", "B"]}}]})
        );
        let q = Query::new()
            .filter(age.ne(3))
            .sort(last.asc().then(age.desc()))
            .only(last.clone())
            .max_results(5);
        assert_eq!(
            q.to_pairs(),
            vec![
                ("where".to_string(), r#"{"age":{"$ne":3}}"#.to_string()),
                (
                    "sort".to_string(),
                    r#"[["lastname",1],["age",-1]]"#.to_string()
                ),
                ("projection".to_string(), r#"{"lastname":1}"#.to_string()),
                ("max_results".to_string(), "5".to_string()),
            ]
        );
    }
}
