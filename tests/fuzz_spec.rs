//! Property tests of the spec loader (`apigen::model_from_str`) on structured mutations
//! of the real specs (`specs/*.toml`): values swapped for values of other TOML types,
//! unknown keys, deleted and renamed keys, deep nesting, huge and special numbers,
//! non-ASCII, and text-level damage.
//!
//! Properties: the loader never panics; a refused spec gets a diagnostic that either
//! points at a real place of the file (`file:line:col` with that line's text) or speaks
//! of the file as a whole; a spec that loads generates its crate without a render error
//! (that would be apigen's bug, not the user's).
//!
//! Bounded for CI; see `fuzz_support` for running longer.

mod fuzz_support;

use std::sync::LazyLock;

use proptest::prelude::*;
use proptest::test_runner::{TestCaseError, TestCaseResult};
use toml::{Table, Value};

use fuzz_support::{accepted, fuzz};

/// The example specs, by name, as text and as TOML.
static SPECS: LazyLock<Vec<(String, String, Table)>> = LazyLock::new(|| {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/specs");
    let mut specs: Vec<(String, String, Table)> = std::fs::read_dir(dir)
        .expect("specs/")
        .map(|entry| entry.expect("a directory entry").path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "toml"))
        .map(|path| {
            let text = std::fs::read_to_string(&path).expect("a spec");
            let table: Table = text.parse().expect("the example specs are TOML");
            let name = path
                .file_name()
                .unwrap_or_default()
                .to_string_lossy()
                .into_owned();
            (name, text, table)
        })
        .collect();
    specs.sort_by(|a, b| a.0.cmp(&b.0));
    assert!(!specs.is_empty(), "no specs in {dir}");
    specs
});

/// Words a spec uses, for values and keys that land near meaning.
const WORDS: &[&str] = &[
    "string",
    "integer",
    "float",
    "number",
    "boolean",
    "datetime",
    "objectid",
    "dict",
    "list",
    "point",
    "polygon",
    "uuid",
    "media",
    "set",
    "GET",
    "get",
    "POST",
    "PATCH",
    "PUT",
    "DELETE",
    "people",
    "works",
    "_id",
    "_created",
    "id",
    "name",
    "lastname",
    "author",
    "owner",
    "type",
    "schema",
    "items",
    "default",
    "",
    " ",
    "é",
    "日本",
    "-a",
    "a.b",
    "{}",
    "[]",
    "(",
    "^[a-z]+$",
    "{\"age\": 1}",
    "{\"$or\": []}",
    "%Y-%m-%d",
    "%Q",
    "self",
    "crate",
    "r#type",
    "Self",
    "\u{0}",
    "\\",
    "\"",
    "a\nb",
];

/// One change to a spec's tree; the numbers pick where (modulo what is there).
#[derive(Clone, Debug)]
enum Mutation {
    /// Replace a value with another, of any type.
    Replace(Vec<usize>, Value),
    /// Add a key (unknown, or a word a spec uses) to a table.
    Insert(Vec<usize>, String, Value),
    Delete(Vec<usize>),
    /// Give a key another name.
    Rename(Vec<usize>, String),
    /// Wrap a value in arrays or tables, many levels deep.
    Nest(Vec<usize>, usize, bool),
    /// Copy a value over another place.
    Copy(Vec<usize>, Vec<usize>),
}

fn word() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(WORDS).prop_map(String::from),
        1 => "[a-z_]{1,10}",
        1 => "\\PC{0,12}",
    ]
}

fn scalar() -> impl Strategy<Value = Value> {
    prop_oneof![
        3 => word().prop_map(Value::String),
        2 => prop::sample::select(vec![
            0i64, 1, -1, 2, 100, i64::MAX, i64::MIN, i64::MAX - 1, 4_294_967_296, -4_294_967_296,
        ])
        .prop_map(Value::Integer),
        1 => any::<i64>().prop_map(Value::Integer),
        2 => prop::sample::select(vec![
            0.5, -0.0, f64::NAN, f64::INFINITY, f64::NEG_INFINITY, 1e300, -1e300, 1e-300, 0.1,
            9.223372036854776e18,
        ])
        .prop_map(Value::Float),
        2 => any::<bool>().prop_map(Value::Boolean),
        1 => prop::sample::select(vec![
            "1979-05-27T07:32:00Z", "1979-05-27", "07:32:00", "1979-05-27T07:32:00.999999",
        ])
        .prop_map(|d| Value::Datetime(d.parse().expect("a TOML datetime"))),
    ]
}

fn value() -> impl Strategy<Value = Value> {
    scalar().prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            prop::collection::vec((word(), inner), 0..4)
                .prop_map(|entries| Value::Table(entries.into_iter().collect())),
        ]
    })
}

fn place() -> impl Strategy<Value = Vec<usize>> {
    prop::collection::vec(any::<usize>(), 0..6)
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        4 => (place(), value()).prop_map(|(at, v)| Mutation::Replace(at, v)),
        3 => (place(), word(), value()).prop_map(|(at, k, v)| Mutation::Insert(at, k, v)),
        2 => place().prop_map(Mutation::Delete),
        2 => (place(), word()).prop_map(|(at, k)| Mutation::Rename(at, k)),
        1 => (place(), 1usize..80, any::<bool>()).prop_map(|(at, n, t)| Mutation::Nest(at, n, t)),
        2 => (place(), place()).prop_map(|(from, to)| Mutation::Copy(from, to)),
    ]
}

/// The value at `at` (each number picks a key or element, modulo how many there are),
/// stopping early at a scalar or an empty container.
fn walk<'a>(root: &'a mut Value, at: &[usize]) -> &'a mut Value {
    let Some((&first, rest)) = at.split_first() else {
        return root;
    };
    let empty = match &*root {
        Value::Table(t) => t.is_empty(),
        Value::Array(a) => a.is_empty(),
        _ => true,
    };
    if empty {
        return root;
    }
    match root {
        Value::Table(table) => {
            let i = first % table.len();
            let key = table.keys().nth(i).expect("an index in range").clone();
            match table.get_mut(&key) {
                Some(child) => walk(child, rest),
                None => unreachable!("the key was just listed"),
            }
        }
        Value::Array(array) => {
            let i = first % array.len();
            walk(&mut array[i], rest)
        }
        other => other,
    }
}

/// The table holding the value at `at`, and that value's key (the last table step).
fn parent_key<'a>(root: &'a mut Value, at: &[usize]) -> Option<(&'a mut Table, String)> {
    let (last, path) = at.split_last()?;
    match walk(root, path) {
        Value::Table(table) if !table.is_empty() => {
            let key = table.keys().nth(last % table.len())?.clone();
            Some((table, key))
        }
        _ => None,
    }
}

fn apply(root: &mut Value, mutation: &Mutation) {
    match mutation {
        Mutation::Replace(at, v) => *walk(root, at) = v.clone(),
        Mutation::Insert(at, key, v) => {
            if let Value::Table(table) = walk(root, at) {
                table.insert(key.clone(), v.clone());
            }
        }
        Mutation::Delete(at) => {
            if let Some((table, key)) = parent_key(root, at) {
                table.remove(&key);
            }
        }
        Mutation::Rename(at, name) => {
            if let Some((table, key)) = parent_key(root, at)
                && let Some(v) = table.remove(&key)
            {
                table.insert(name.clone(), v);
            }
        }
        Mutation::Nest(at, depth, as_table) => {
            let slot = walk(root, at);
            let mut v = std::mem::replace(slot, Value::Boolean(false));
            for _ in 0..*depth {
                v = if *as_table {
                    Value::Table(
                        [
                            ("type".to_string(), Value::String("dict".into())),
                            ("schema".to_string(), v),
                        ]
                        .into_iter()
                        .collect(),
                    )
                } else {
                    Value::Array(vec![v])
                };
            }
            *slot = v;
        }
        Mutation::Copy(from, to) => {
            let v = walk(root, from).clone();
            *walk(root, to) = v;
        }
    }
}

/// Load `source`; check what a refusal says.
fn check_load(source: &str) -> TestCaseResult {
    let Err(diagnostic) = apigen::model_from_str("fuzz.toml", source) else {
        accepted();
        return Ok(());
    };
    let text = diagnostic.to_string();
    prop_assert!(text.starts_with("error: "), "{}", text);
    prop_assert!(
        !diagnostic.message.trim().is_empty(),
        "an empty message: {}",
        text
    );
    if let Some(location) = &diagnostic.location {
        let line = source
            .split('\n')
            .nth(location.line.saturating_sub(1))
            .map(|l| l.trim_end_matches('\r'));
        prop_assert!(location.line >= 1 && location.column >= 1, "{}", text);
        prop_assert_eq!(
            line,
            Some(location.line_text.as_str()),
            "the diagnostic quotes another line than the one it names: {}",
            text
        );
        prop_assert!(
            text.contains(&format!("fuzz.toml:{}:{}", location.line, location.column)),
            "{}",
            text
        );
    }
    Ok(())
}

/// A mutated spec, as TOML text (`None` when TOML cannot write the tree).
fn mutated(spec: usize, mutations: &[Mutation]) -> Option<String> {
    let mut root = Value::Table(SPECS[spec].2.clone());
    for m in mutations {
        apply(&mut root, m);
    }
    match root {
        Value::Table(table) => toml::to_string(&table).ok(),
        _ => None,
    }
}

#[test]
fn mutated_specs_never_panic_and_refusals_are_located() {
    let strategy = (0..SPECS.len(), prop::collection::vec(mutation(), 1..5));
    fuzz(
        "spec mutations",
        1500,
        strategy,
        |(spec, mutations)| match mutated(spec, &mutations) {
            Some(text) => check_load(&text),
            None => Ok(()),
        },
    );
}

/// Text-level damage of the real spec text: lines deleted, duplicated or swapped, and
/// tokens inserted, where the tree mutations cannot reach (comments, layout, quoting).
#[test]
fn damaged_spec_text_never_panics_and_refusals_are_located() {
    const TOKENS: &[&str] = &[
        "[",
        "]",
        "[[",
        "]]",
        "{",
        "}",
        "=",
        "\"",
        "'",
        "'''",
        "\"\"\"",
        ",",
        ".",
        "#",
        "\n",
        "\r\n",
        "\t",
        "é",
        "\u{0}",
        "\u{feff}",
        "1e400",
        "99999999999999999999",
        "-0",
        "nan",
        "inf",
        "[resources.x]\n",
        "[api]\n",
        "type = \"dict\"\n",
        "schema = {",
        "items = {",
    ];
    let edit = (any::<usize>(), any::<usize>(), 0u8..5);
    let strategy = (0..SPECS.len(), prop::collection::vec(edit, 1..6));
    fuzz("spec text", 1500, strategy, |(spec, edits)| {
        let mut lines: Vec<String> = SPECS[spec].1.split('\n').map(String::from).collect();
        for (a, b, how) in edits {
            if lines.is_empty() {
                break;
            }
            let i = a % lines.len();
            match how {
                0 => {
                    lines.remove(i);
                }
                1 => {
                    let copy = lines[b % lines.len()].clone();
                    lines.insert(i, copy);
                }
                2 => {
                    let j = b % lines.len();
                    lines.swap(i, j);
                }
                _ => {
                    let line = &mut lines[i];
                    let mut at = b % (line.len() + 1);
                    while !line.is_char_boundary(at) {
                        at -= 1;
                    }
                    line.insert_str(at, TOKENS[b % TOKENS.len()]);
                }
            }
        }
        check_load(&lines.join("\n"))
    });
}

/// A mutated spec that loads must generate its crate: a render error or a panic there
/// is apigen's bug. Generating is slower than loading, so this runs fewer cases.
#[test]
fn mutated_specs_that_load_generate() {
    let strategy = (0..SPECS.len(), prop::collection::vec(mutation(), 1..3));
    fuzz(
        "spec mutations generated",
        200,
        strategy,
        |(spec, mutations)| {
            let Some(text) = mutated(spec, &mutations) else {
                return Ok(());
            };
            let Ok(model) = apigen::model_from_str("fuzz.toml", &text) else {
                return Ok(());
            };
            accepted();
            let runtime = apigen::RuntimeSource::Version("0.1".to_string());
            apigen::crate_files(&model, "spec.toml", &runtime)
                .map(drop)
                .map_err(|e| TestCaseError::fail(format!("{e}\n{text}")))
        },
    );
}
